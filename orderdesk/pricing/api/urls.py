from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ContractPriceViewSet,
    ContractViewSet,
    DiscountBudgetViewSet,
    DiscountPolicyViewSet,
    PriceExportView,
    PriceImportApplyView,
    PriceImportView,
    PriceItemViewSet,
    PriceListViewSet,
    PricingLimitsView,
    RoleCapsView,
)

router = SimpleRouter()
router.register("contracts", ContractViewSet, basename="contract")
router.register("price-lists", PriceListViewSet, basename="price-list")
router.register("discount-policies", DiscountPolicyViewSet, basename="discount-policy")
router.register("discount-budgets", DiscountBudgetViewSet, basename="discount-budget")
contract_prices = ContractPriceViewSet.as_view({"get": "list", "post": "create"})
contract_price = ContractPriceViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update", "delete": "destroy"}
)

items = PriceItemViewSet.as_view({"get": "list", "post": "create"})
item = PriceItemViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("contracts/<int:contract_pk>/prices/", contract_prices, name="contract-price-list"),
    path(
        "contracts/<int:contract_pk>/prices/<int:pk>/", contract_price, name="contract-price-detail"
    ),
    path("pricing-limits/", PricingLimitsView.as_view(), name="pricing-limits"),
    path("discount-caps/", RoleCapsView.as_view(), name="discount-caps"),
    path(
        "price-lists/<int:price_list_pk>/imports/",
        PriceImportView.as_view(),
        name="price-list-import",
    ),
    path(
        "price-lists/<int:price_list_pk>/imports/<int:pk>/apply/",
        PriceImportApplyView.as_view(),
        name="price-list-import-apply",
    ),
    path(
        "price-lists/<int:price_list_pk>/export/",
        PriceExportView.as_view(),
        name="price-list-export",
    ),
    path("price-lists/<int:price_list_pk>/items/", items, name="price-list-item-list"),
    path("price-lists/<int:price_list_pk>/items/<int:pk>/", item, name="price-list-item-detail"),
    *router.urls,
]
