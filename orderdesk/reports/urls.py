from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("variants/<int:pk>/delete/", views.variant_delete, name="variant_delete"),
    path("<slug:slug>/", views.report_page, name="report"),
    path("<slug:slug>/drill/", views.drill, name="drill"),
    path("<slug:slug>/export/<slug:fmt>/", views.export, name="export"),
    path("<slug:slug>/variants/", views.variant_save, name="variant_save"),
]
