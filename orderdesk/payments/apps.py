from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "orderdesk.payments"
    label = "payments"
    verbose_name = _("Payment services and intermediaries")

    def ready(self):
        from . import registrations  # noqa: F401  (navigation, panels, history labels)
