"""Credit pages; included by orders' urls under /orders/credit/ (namespace "orders:credit")
until the project's root urls include them."""

from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("holds/", views.queue, name="queue"),
    path("holds/<int:order_id>/release/", views.release, name="release"),
]
