"""Orders API routes, included under /api/v1/ by orderdesk/urls.py."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="api-orders"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="api-order"),
    path("orders/<int:pk>/lines/", views.OrderLinesView.as_view(), name="api-order-lines"),
    path(
        "orders/<int:pk>/lines/<int:line_id>/",
        views.OrderLineDetailView.as_view(),
        name="api-order-line",
    ),
    path("orders/<int:pk>/confirm/", views.OrderConfirmView.as_view(), name="api-order-confirm"),
    path("orders/<int:pk>/submit/", views.OrderSubmitView.as_view(), name="api-order-submit"),
    path(
        "orders/<int:pk>/submit/preview/",
        views.OrderSubmitPreviewView.as_view(),
        name="api-order-submit-preview",
    ),
    path("orders/<int:pk>/decide/", views.OrderDecideView.as_view(), name="api-order-decide"),
    path("orders/<int:pk>/return/", views.OrderReturnView.as_view(), name="api-order-return"),
    path("orders/<int:pk>/release/", views.OrderReleaseView.as_view(), name="api-order-release"),
    path(
        "orders/<int:pk>/credit-override/",
        views.OrderCreditOverrideView.as_view(),
        name="api-order-credit-override",
    ),
    path("orders/<int:pk>/credit/", views.OrderCreditView.as_view(), name="api-order-credit"),
    # the approvals and credit APIs (their apps may not import orders; orders includes them)
    path("", include("orderdesk.approvals.api.urls")),
    path("", include("orderdesk.credit.api.urls")),
    path("orders/<int:pk>/cancel/", views.OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<int:pk>/close/", views.OrderCloseView.as_view(), name="api-order-close"),
    path(
        "orders/<int:pk>/amendments/",
        views.OrderAmendmentsView.as_view(),
        name="api-order-amendments",
    ),
    path("orders/<int:pk>/copy/", views.OrderCopyView.as_view(), name="api-order-copy"),
    path(
        "orders/<int:pk>/deviations/",
        views.OrderDeviationsView.as_view(),
        name="api-order-deviations",
    ),
    path("term-rights/", views.TermRightsView.as_view(), name="api-term-rights"),
    path("orders/<int:pk>/timeline/", views.OrderTimelineView.as_view(), name="api-order-timeline"),
    path(
        "orders/<int:pk>/save-as-template/",
        views.OrderSaveAsTemplateView.as_view(),
        name="api-order-save-as-template",
    ),
    path(
        "order-templates/",
        views.OrderTemplateListCreateView.as_view(),
        name="api-order-templates",
    ),
    path(
        "order-templates/<int:pk>/",
        views.OrderTemplateDetailView.as_view(),
        name="api-order-template",
    ),
    path(
        "order-templates/<int:pk>/create-order/",
        views.OrderTemplateCreateOrderView.as_view(),
        name="api-order-template-create-order",
    ),
    path(
        "cancellation-reasons/",
        views.CancellationReasonListView.as_view(),
        name="api-cancellation-reasons",
    ),
]
