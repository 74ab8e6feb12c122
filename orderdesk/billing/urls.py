from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("", views.document_list, name="documents"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/new/", views.payment_new, name="payment_new"),
    path("payments/import/", views.payment_import, name="payment_import"),
    path("payments/<int:pk>/", views.payment_detail, name="payment"),
    path("payments/<int:pk>/allocate/", views.payment_allocate, name="allocate"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    path("allocations/<int:pk>/cancel/", views.allocation_cancel, name="allocation_cancel"),
    path("cash-receipts/new/", views.cash_receipt_new, name="cash_receipt_new"),
    path(
        "orders/<int:pk>/prepayment-invoice/", views.prepayment_invoice, name="prepayment_invoice"
    ),
    path("orders/<int:pk>/invoice/", views.order_invoice, name="order_invoice"),
    path("customers/<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("<slug:slug>/<int:pk>/", views.document_detail, name="document"),
    path("<slug:slug>/<int:pk>/post/", views.document_post, name="post"),
    path("<slug:slug>/<int:pk>/reverse/", views.document_reverse, name="reverse"),
    path("<slug:slug>/<int:pk>/delete/", views.document_delete, name="delete"),
    path("<slug:slug>/<int:pk>/pdf/", views.document_pdf, name="pdf"),
]
