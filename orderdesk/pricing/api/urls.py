from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ContractViewSet, PriceItemViewSet, PriceListViewSet

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("price-lists", PriceListViewSet, basename="price-list")

items = PriceItemViewSet.as_view({"get": "list", "post": "create"})
item = PriceItemViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("price-lists/<int:price_list_pk>/items/", items, name="price-list-item-list"),
    path("price-lists/<int:price_list_pk>/items/<int:pk>/", item, name="price-list-item-detail"),
    *router.urls,
]
