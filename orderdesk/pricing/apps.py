from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "orderdesk.pricing"
    label = "pricing"
    verbose_name = _("Prices and contracts")

    def ready(self):
        from . import registrations  # noqa: F401  (navigation, customer card panel)
