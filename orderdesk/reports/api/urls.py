"""Reports API routes, included under /api/v1/ by orderdesk/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("reports/", views.ReportListView.as_view(), name="api-reports"),
    path("reports/dashboard/", views.DashboardView.as_view(), name="api-reports-dashboard"),
    path("reports/variants/", views.VariantListView.as_view(), name="api-report-variants"),
    path(
        "reports/variants/<int:pk>/",
        views.VariantDetailView.as_view(),
        name="api-report-variant",
    ),
    path("reports/<slug:name>/", views.ReportView.as_view(), name="api-report"),
    path(
        "reports/<slug:name>/export/<slug:fmt>/",
        views.ReportExportView.as_view(),
        name="api-report-export",
    ),
]
