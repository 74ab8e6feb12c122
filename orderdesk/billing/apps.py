from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "orderdesk.billing"
    label = "billing"
    verbose_name = _("Documents and payments")

    def ready(self):
        from . import registrations  # noqa: F401  (navigation, panels, history labels)
