from django.urls import include, path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.OrderListView.as_view(), name="list"),
    path("new/", views.order_create, name="create"),
    path("new/terms/", views.create_terms, name="create_terms"),
    path("new/line-row/", views.line_row, name="line_row"),
    path("lookup/customers/", views.customer_options, name="customer_options"),
    path("lookup/products/", views.product_options, name="product_options"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/use/", views.template_use, name="template_use"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/terms/", views.order_header, name="update"),
    path("<int:pk>/lines/add/", views.line_add, name="line_add"),
    path("<int:pk>/lines/<int:line_pk>/", views.line_update, name="line_update"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.line_remove, name="line_remove"),
    path("<int:pk>/lines/<int:line_pk>/schedule/", views.line_schedule, name="line_schedule"),
    path("<int:pk>/confirm/", views.order_confirm, name="confirm"),
    path("<int:pk>/submit/", views.order_submit, name="submit"),
    path("<int:pk>/submit/preview/", views.order_submit_preview, name="submit_preview"),
    path("<int:pk>/return/", views.order_return, name="return"),
    path(
        "<int:pk>/credit-override/",
        views.order_override_request,
        name="credit_override_request",
    ),
    # the approvals and credit pages (their apps may not import orders; orders includes them)
    path("approvals/", include("orderdesk.approvals.urls")),
    path("credit/", include("orderdesk.credit.urls")),
    path("<int:pk>/cancel/", views.order_cancel, name="cancel"),
    path("<int:pk>/close/", views.order_close, name="close"),
    path("<int:pk>/copy/", views.order_copy, name="copy"),
    path("<int:pk>/save-template/", views.order_save_template, name="save_template"),
    path("<int:pk>/amend/", views.order_amend, name="amend"),
    path("<int:pk>/deviations/", views.order_deviations, name="deviations"),
    path("term-rights/", views.term_rights, name="term_rights"),
]
