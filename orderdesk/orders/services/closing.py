"""Closing an order because its work is done (the system acting, not a person).

`order_close` is the person's action (it needs the right to change the order). When the
warehouse has shipped everything (or the rest was cancelled) and the ledger says paid, the
rule itself closes the order: the transitions table still decides, and the history names the
rule (`automatic`, `reason`) with the user whose action completed it, or "system".
"""

from __future__ import annotations

from django.utils import timezone

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.transitions import transition_target
from orderdesk.credit import services as credit

from .. import hooks
from ..choices import TRANSITIONS, OrderAction
from ..models import Order
from .progress import lock_order_row


@atomic_with_retry
def order_close_automatic(*, by=None, order: Order | int, reason: str) -> Order:
    """Close a confirmed order by rule (`invalid_transition` from any other state)."""
    order = lock_order_row(order)
    target = transition_target(TRANSITIONS, order.status, OrderAction.CLOSE, what="order")
    before = order.status
    order.status = target
    order.closed_at = timezone.now()
    order.save(update_fields=["status", "closed_at", "updated_at"])
    record_many(
        stream=stream_of(order),
        by=by,
        entries=[
            Entry(
                "orders.order.closed",
                order,
                {"status": {"from": before, "to": target}},
                {"automatic": True, "reason": reason},
            )
        ],
    )
    # a closed order commits nothing to the customer's credit any more
    credit.commitment_release(order_id=order.pk)
    hooks.emit(hooks.ORDER_CLOSED, by=by, order=order, automatic=True)
    return order
