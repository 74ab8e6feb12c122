"""Who may do what in the warehouse.

- the warehouse and administrators receive and adjust stock;
- the warehouse, accountants and administrators ship (billing's SHIPPERS);
- heads of sales and administrators release an order by hand;
- whoever may change an order (its sales manager, head, an administrator) cancels its lines
  and reserves its stock by hand; the warehouse may reserve for orders released to it.

What the warehouse sees is the orders scope (`orders.permissions.order_scope`): released
orders only, through every page, API and export.
"""

from __future__ import annotations

from orderdesk.billing.permissions import SHIPPERS
from orderdesk.core.roles import Role, has_role
from orderdesk.orders.permissions import can_edit_order, can_view_order

STOCK_KEEPERS = frozenset({Role.WAREHOUSE, Role.ADMINISTRATOR})
RELEASERS = frozenset({Role.SALES_HEAD, Role.ADMINISTRATOR})
WAREHOUSE_PAGES = frozenset({Role.WAREHOUSE, Role.ADMINISTRATOR, Role.ACCOUNTANT})
STOCK_VIEWERS = frozenset(set(Role.values))


def can_keep_stock(user) -> bool:
    return has_role(user, *STOCK_KEEPERS)


def can_ship(user) -> bool:
    return has_role(user, *SHIPPERS)


def can_release(user) -> bool:
    return has_role(user, *RELEASERS)


def can_reserve(user, order) -> bool:
    if can_edit_order(user, order):
        return True
    return has_role(user, Role.WAREHOUSE) and can_view_order(user, order)


def can_cancel_lines(user, order) -> bool:
    return can_edit_order(user, order)
