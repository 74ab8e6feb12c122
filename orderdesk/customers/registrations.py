"""What the customers app adds to shared places: the top navigation entry."""

from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav

from .selectors import CUSTOMER_VIEWERS

register_nav("customers", _("Customers"), "customers:list", order=20, roles=CUSTOMER_VIEWERS)
