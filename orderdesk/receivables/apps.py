from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceivablesConfig(AppConfig):
    name = "orderdesk.receivables"
    label = "receivables"
    verbose_name = _("Receivables")

    def ready(self):
        from . import registrations  # noqa: F401  (customer card panel)
