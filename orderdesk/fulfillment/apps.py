from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "orderdesk.fulfillment"
    label = "fulfillment"
    verbose_name = _("Warehouse")

    def ready(self):
        from . import registrations  # noqa: F401  (hooks, panel, navigation)
