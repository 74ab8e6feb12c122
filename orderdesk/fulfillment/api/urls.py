"""Warehouse API routes, included under /api/v1/ by orderdesk/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("stock/", views.StockView.as_view(), name="api-stock"),
    path("stock-moves/", views.StockMoveView.as_view(), name="api-stock-moves"),
    path("reservations/", views.ReservationView.as_view(), name="api-reservations"),
    path("releases/", views.ReleaseView.as_view(), name="api-releases"),
    path("shipments/", views.ShipmentView.as_view(), name="api-shipments"),
    path("shipments/<int:pk>/", views.ShipmentDetailView.as_view(), name="api-shipment"),
    path("pick-lists/<int:order>/", views.PickListView.as_view(), name="api-pick-list"),
    path(
        "line-cancellations/",
        views.LineCancellationView.as_view(),
        name="api-line-cancellations",
    ),
]
