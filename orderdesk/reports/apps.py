from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "orderdesk.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from . import registrations  # noqa: F401  (the "Reports" entry of the top menu)
