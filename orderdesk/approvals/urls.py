"""Approval pages; included by orders' urls under /orders/approvals/ (namespace
"orders:approvals") until the project's root urls include them."""

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/decide/", views.task_decide, name="decide"),
    path("tasks/<int:pk>/comment/", views.comment_add, name="comment"),
    path("delegation/", views.delegation, name="delegation"),
]
