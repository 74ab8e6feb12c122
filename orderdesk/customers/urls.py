from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerFormView.as_view(), name="create"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerFormView.as_view(), name="edit"),
    path("<int:pk>/contacts/new/", views.ContactFormView.as_view(), name="contact_add"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/edit/",
        views.ContactFormView.as_view(),
        name="contact_edit",
    ),
    path(
        "<int:pk>/contacts/<int:contact_pk>/delete/",
        views.ContactDeleteView.as_view(),
        name="contact_delete",
    ),
]
