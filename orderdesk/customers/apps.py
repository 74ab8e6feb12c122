from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "orderdesk.customers"
    label = "customers"
    verbose_name = _("Customers and trade terms")

    def ready(self):
        from . import registrations  # noqa: F401  (navigation)
