"""What the orders app adds to shared places: navigation entries, panels, history labels.

Loaded from OrdersConfig.ready(); lower apps (customers) render what is registered here
without importing orders.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.core.roles import Role

from .deviations import deviations_panel
from .permissions import can_sell_to
from .selectors import order_list_for

# A person-readable label for every history action the orders app writes. Codes stay English
# and stable (they are in the hash chain); only these labels are translated.
ACTION_LABELS = {
    "orders.order.created": _("Order created"),
    "orders.order.changed": _("Order changed"),
    "orders.order.confirmed": _("Order confirmed"),
    "orders.order.cancelled": _("Order cancelled"),
    "orders.order.closed": _("Order closed"),
    "orders.order.amended": _("Order amended"),
    "orders.order.rate_fixed": _("Exchange rate fixed"),
    "orders.line.added": _("Line added"),
    "orders.line.changed": _("Line changed"),
    "orders.line.removed": _("Line removed"),
    "orders.template.created": _("Template created"),
    "orders.template.changed": _("Template changed"),
    "orders.template.deleted": _("Template deleted"),
    "orders.term_rights.changed": _("Rights on order terms changed"),
}

# Labels of the keys other apps write into an order event's details (`data`), and of coded
# values some of them take ({key: {value: label}}): the timeline shows these instead of codes.
DETAIL_LABELS: dict[str, Any] = {}
DETAIL_VALUES: dict[str, dict[str, Any]] = {}

TEMPLATE_ROLES = (Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMINISTRATOR)
CUSTOMER_PANEL_SIZE = 10


def action_label(code: str) -> str:
    """The label of a history action; an unknown code (another app's) shows as it is."""
    return str(ACTION_LABELS.get(code, code))


def customer_orders_panel(request, customer):
    """The customer card's orders panel: the latest orders the user may see, and "new order"."""
    user = request.user
    orders = list(
        order_list_for(user=user, filters={"customer": customer.pk})[:CUSTOMER_PANEL_SIZE]
    )
    may_sell = can_sell_to(user, customer) and customer.active
    if not orders and not may_sell:
        return None
    return {
        "orders": orders,
        "may_create": may_sell,
        "new_order_url": f"{reverse('orders:create')}?customer={customer.pk}",
        "all_orders_url": f"{reverse('orders:list')}?customer={customer.pk}",
    }


register_nav("orders", _("Orders"), "orders:list", order=10)
register_nav("order_templates", _("Templates"), "orders:templates", order=20, roles=TEMPLATE_ROLES)
register_panel(
    "customer_card",
    "orders",
    template="orders/panels/_customer_orders.html",
    context=customer_orders_panel,
    order=20,
)
register_nav(
    "term_rights", _("Rights on terms"), "orders:term_rights", order=90, roles=(Role.ADMINISTRATOR,)
)
register_panel(
    "order_card",
    "deviations",
    template="orders/panels/_deviations.html",
    context=deviations_panel,
    order=5,
)
