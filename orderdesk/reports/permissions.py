"""Who may run which report and whose figures they see.

- Sales managers see their own figures, heads of sales their team's: the orders scope
  (`orders.permissions.order_scope`) and the customers scope (`customers.selectors.
  customer_scope`) decide, so a report never shows a figure the order list would not.
- Credit controllers, accountants and administrators see every figure.
- The warehouse sees only its dashboard (the queue of released orders), no report.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from orderdesk.core.errors import PermissionRefused
from orderdesk.core.roles import Role, roles_of

REPORT_ROLES = frozenset(
    {
        Role.SALES_MANAGER,
        Role.SALES_HEAD,
        Role.CREDIT_CONTROLLER,
        Role.ACCOUNTANT,
        Role.ADMINISTRATOR,
    }
)
DASHBOARD_ROLES = REPORT_ROLES | {Role.WAREHOUSE}
SEE_ALL = frozenset({Role.CREDIT_CONTROLLER, Role.ACCOUNTANT, Role.ADMINISTRATOR})
SALES = frozenset({Role.SALES_MANAGER, Role.SALES_HEAD})


def can_run_reports(user) -> bool:
    return bool(roles_of(user) & REPORT_ROLES)


def can_see_dashboards(user) -> bool:
    return bool(roles_of(user) & DASHBOARD_ROLES)


def require_reports(user) -> None:
    """Raise `report_not_permitted` (403) for a user without a reporting role (the warehouse)."""
    if not can_run_reports(user):
        raise PermissionRefused(_("Your role does not run reports."), code="report_not_permitted")


def prefixed(q: Q, prefix: str) -> Q:
    """The same filter over a related model: Q(status="x") -> Q(order__status="x")."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(prefixed(child, prefix))
        else:
            key, value = child
            out.children.append((f"{prefix}{key}", value))
    return out
