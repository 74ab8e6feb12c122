"""Credit API routes; included by orders' API urls (under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("credit/limits/", views.LimitsView.as_view(), name="api-credit-limits"),
    path(
        "credit/customers/<int:pk>/exposure/",
        views.ExposureView.as_view(),
        name="api-credit-exposure",
    ),
    path("credit/customers/<int:pk>/block/", views.BlockView.as_view(), name="api-credit-block"),
    path("credit/holds/", views.HoldsView.as_view(), name="api-credit-holds"),
    path(
        "credit/holds/<int:order_id>/release/",
        views.ReleaseView.as_view(),
        name="api-credit-release",
    ),
]
