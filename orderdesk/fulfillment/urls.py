from django.urls import path

from . import views

app_name = "fulfillment"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("stock/", views.stock, name="stock"),
    path("shipments/", views.shipments, name="shipments"),
    path("shipments/<int:pk>/", views.shipment, name="shipment"),
    path("cancellations/", views.cancellations, name="cancellations"),
    path("orders/<int:pk>/ship/", views.ship, name="ship"),
    path("orders/<int:pk>/pick/", views.pick, name="pick"),
    path("orders/<int:pk>/reserve/", views.reserve, name="reserve"),
    path("orders/<int:pk>/release/", views.release, name="release"),
    path("orders/<int:pk>/lines/<int:line_pk>/cancel/", views.cancel_line, name="cancel_line"),
]
