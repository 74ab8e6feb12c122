from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ContactViewSet,
    CustomerGroupViewSet,
    CustomerViewSet,
    DeliveryMethodViewSet,
    PaymentMethodViewSet,
    PaymentTermsViewSet,
    SalesTeamViewSet,
)

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("customer-groups", CustomerGroupViewSet, basename="customer-group")
router.register("sales-teams", SalesTeamViewSet, basename="sales-team")
router.register("payment-terms", PaymentTermsViewSet, basename="payment-terms")
router.register("payment-methods", PaymentMethodViewSet, basename="payment-method")
router.register("delivery-methods", DeliveryMethodViewSet, basename="delivery-method")

contacts = ContactViewSet.as_view({"get": "list", "post": "create"})
contact = ContactViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    path("customers/<int:customer_pk>/contacts/", contacts, name="customer-contact-list"),
    path("customers/<int:customer_pk>/contacts/<int:pk>/", contact, name="customer-contact-detail"),
    *router.urls,
]
