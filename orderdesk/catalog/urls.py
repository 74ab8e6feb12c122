from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
]
