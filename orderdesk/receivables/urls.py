from django.urls import path

from . import views

app_name = "receivables"
urlpatterns = [
    path("open-items/", views.open_items, name="open_items"),
    path("customers/<int:pk>/statement/", views.customer_statement, name="statement"),
]
