from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "orderdesk.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from orderdesk.core.navigation import register_nav

        register_nav("products", _("Products"), "catalog:products", order=30)
