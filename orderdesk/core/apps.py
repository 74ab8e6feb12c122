from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "orderdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from .sqlite import unicode_like

        connection_created.connect(unicode_like, dispatch_uid="orderdesk.core.unicode_like")
