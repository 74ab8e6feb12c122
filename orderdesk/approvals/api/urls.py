"""Approvals API routes; included by orders' API urls (under /api/v1/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("approvals/tasks/", views.InboxView.as_view(), name="api-approval-inbox"),
    path("approvals/tasks/<int:pk>/", views.TaskView.as_view(), name="api-approval-task"),
    path(
        "approvals/tasks/<int:pk>/decide/",
        views.TaskDecideView.as_view(),
        name="api-approval-decide",
    ),
    path(
        "approvals/tasks/<int:pk>/comments/",
        views.TaskCommentView.as_view(),
        name="api-approval-comment",
    ),
    path("approvals/rules/", views.RulesView.as_view(), name="api-approval-rules"),
    path("approvals/rules/<int:pk>/", views.RuleDetailView.as_view(), name="api-approval-rule"),
    path("approvals/delegations/", views.DelegationView.as_view(), name="api-approval-delegations"),
]
