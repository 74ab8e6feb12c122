from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("", views.link_list, name="links"),
    path("links/<int:pk>/", views.link_detail, name="link"),
    path("invoices/<int:pk>/", views.invoice_page, name="invoice"),
    path("invoices/<int:pk>/links/", views.link_create, name="link_create"),
    path("review/", views.review, name="review"),
    path("holds/<int:pk>/apply/", views.hold_apply, name="hold_apply"),
    path("holds/<int:pk>/dismiss/", views.hold_dismiss, name="hold_dismiss"),
    path("payout-lines/<int:pk>/match/", views.line_match, name="line_match"),
    path("payout-lines/<int:pk>/dismiss/", views.line_dismiss, name="line_dismiss"),
    path("intermediaries/", views.intermediary_list, name="intermediaries"),
    path("intermediaries/new/", views.intermediary_edit, name="intermediary_new"),
    path("intermediaries/<int:pk>/", views.intermediary_detail, name="intermediary"),
    path("intermediaries/<int:pk>/edit/", views.intermediary_edit, name="intermediary_edit"),
    path("intermediaries/<int:pk>/import/", views.payout_import, name="payout_import"),
    path("payout-reports/<int:pk>/", views.report_detail, name="report"),
    path("payout-reports/<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    # the providers' side: no login; a webhook is taken only with a valid signature
    path("webhooks/<slug:provider>/", views.webhook, name="webhook"),
    path("return/<slug:reference>/", views.payment_return, name="return"),
]
