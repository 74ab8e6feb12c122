from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orderdesk.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from . import (
            registrations,  # noqa: F401  (panels, navigation, history labels)
            wiring,  # noqa: F401  (approvals, credit: handlers, badges, panels)
        )
