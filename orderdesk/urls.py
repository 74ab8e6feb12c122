from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from orderdesk.core.auth import ThrottledLoginView

api_v1 = [
    path("", include("orderdesk.catalog.api.urls")),
    path("", include("orderdesk.customers.api.urls")),
    path("", include("orderdesk.pricing.api.urls")),
    path("", include("orderdesk.orders.api.urls")),
    path("", include("orderdesk.billing.api.urls")),
    path("", include("orderdesk.fulfillment.api.urls")),
    path("", include("orderdesk.payments.api.urls")),
    path("", include("orderdesk.reports.api.urls")),
    path("", include("orderdesk.core.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False)),
    # security: the log-in page refuses a user name + address after repeated failures
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("orders/", include("orderdesk.orders.urls")),
    path("customers/", include("orderdesk.customers.urls")),
    path("catalog/", include("orderdesk.catalog.urls")),
    path("pricing/", include("orderdesk.pricing.urls")),
    path("billing/", include("orderdesk.billing.urls")),
    path("warehouse/", include("orderdesk.fulfillment.urls")),
    # payment services; /payments/webhooks/<provider>/ takes the providers' signed callbacks
    path("payments/", include("orderdesk.payments.urls")),
    path("receivables/", include("orderdesk.receivables.urls")),
    path("reports/", include("orderdesk.reports.urls")),
]

if settings.DEBUG:
    pass
