"""Billing API routes, included under /api/v1/ by orderdesk/urls.py."""

from django.urls import path

from . import views

urlpatterns = []
for prefix, name, group in (
    ("invoices", "invoice", views.INVOICE_VIEWS),
    ("delivery-notes", "delivery-note", views.DELIVERY_NOTE_VIEWS),
    ("credit-notes", "credit-note", views.CREDIT_NOTE_VIEWS),
    ("cash-receipts", "cash-receipt", views.CASH_RECEIPT_VIEWS),
):
    list_create, detail, post, reverse, pdf = group
    urlpatterns += [
        path(f"{prefix}/", list_create.as_view(), name=f"api-billing-{name}s"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"api-billing-{name}"),
        path(f"{prefix}/<int:pk>/post/", post.as_view(), name=f"api-billing-{name}-post"),
        path(f"{prefix}/<int:pk>/reverse/", reverse.as_view(), name=f"api-billing-{name}-reverse"),
        path(f"{prefix}/<int:pk>/pdf/", pdf.as_view(), name=f"api-billing-{name}-pdf"),
    ]

urlpatterns += [
    path("payments/", views.PaymentListCreateView.as_view(), name="api-billing-payments"),
    path("payments/import/", views.PaymentImportView.as_view(), name="api-billing-payments-import"),
    path("payments/<int:pk>/", views.PaymentDetailView.as_view(), name="api-billing-payment"),
    path(
        "payments/<int:pk>/reverse/",
        views.PaymentReverseView.as_view(),
        name="api-billing-payment-reverse",
    ),
    path("allocations/", views.AllocationListCreateView.as_view(), name="api-billing-allocations"),
    path(
        "allocations/<int:pk>/cancel/",
        views.AllocationCancelView.as_view(),
        name="api-billing-allocation-cancel",
    ),
    path("open-items/", views.OpenItemListView.as_view(), name="api-billing-open-items"),
    path(
        "customers/<int:pk>/statement/",
        views.CustomerStatementView.as_view(),
        name="api-billing-customer-statement",
    ),
    path(
        "customers/<int:pk>/statement/pdf/",
        views.CustomerStatementPdfView.as_view(),
        name="api-billing-customer-statement-pdf",
    ),
]
