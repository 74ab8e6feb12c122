from django.urls import path

from . import views

app_name = "pricing"
urlpatterns = [
    path("contracts/<int:pk>/prices/", views.ContractPricesView.as_view(), name="contract_prices"),
    path("discounts/", views.DiscountsView.as_view(), name="discounts"),
    path("price-lists/<int:pk>/export/", views.PriceExportView.as_view(), name="price_export"),
    path("price-lists/<int:pk>/import/", views.PriceImportView.as_view(), name="price_import"),
    path(
        "price-lists/<int:pk>/import/<int:import_pk>/apply/",
        views.PriceImportApplyView.as_view(),
        name="price_import_apply",
    ),
    path("contracts/new/", views.ContractFormView.as_view(), name="contract_create"),
    path("contracts/<int:pk>/edit/", views.ContractFormView.as_view(), name="contract_edit"),
    path("price-lists/", views.PriceListListView.as_view(), name="price_lists"),
    path("price-lists/<int:pk>/", views.PriceListDetailView.as_view(), name="price_list"),
    path(
        "price-lists/<int:pk>/items/new/",
        views.PriceItemFormView.as_view(),
        name="price_item_add",
    ),
    path(
        "price-lists/<int:pk>/items/<int:item_pk>/edit/",
        views.PriceItemFormView.as_view(),
        name="price_item_edit",
    ),
]
