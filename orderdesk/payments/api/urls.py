"""Payments API routes, included under /api/v1/ by orderdesk/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("payment-links/", views.LinkListCreateView.as_view(), name="api-payment-links"),
    path("payment-links/<int:pk>/", views.LinkDetailView.as_view(), name="api-payment-link"),
    path("payment-holds/", views.HoldListView.as_view(), name="api-payment-holds"),
    path(
        "payment-holds/<int:pk>/apply/",
        views.HoldApplyView.as_view(),
        name="api-payment-hold-apply",
    ),
    path(
        "payment-holds/<int:pk>/dismiss/",
        views.HoldDismissView.as_view(),
        name="api-payment-hold-dismiss",
    ),
    path("intermediaries/", views.IntermediaryListCreateView.as_view(), name="api-intermediaries"),
    path(
        "intermediaries/<int:pk>/",
        views.IntermediaryDetailView.as_view(),
        name="api-intermediary",
    ),
    path(
        "intermediaries/<int:pk>/payout-reports/",
        views.PayoutImportView.as_view(),
        name="api-payout-import",
    ),
    path(
        "payout-reports/<int:pk>/", views.PayoutReportDetailView.as_view(), name="api-payout-report"
    ),
    path(
        "payout-reports/<int:pk>/pdf/",
        views.PayoutReportPdfView.as_view(),
        name="api-payout-report-pdf",
    ),
    path("payout-lines/", views.PayoutLineListView.as_view(), name="api-payout-lines"),
    path(
        "payout-lines/<int:pk>/match/",
        views.PayoutLineMatchView.as_view(),
        name="api-payout-line-match",
    ),
    path(
        "payout-lines/<int:pk>/dismiss/",
        views.PayoutLineDismissView.as_view(),
        name="api-payout-line-dismiss",
    ),
]
