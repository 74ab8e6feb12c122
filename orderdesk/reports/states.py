"""The report state of an order, derived in SQL from status + fulfillment + payment.

| report state        | status            | fulfillment                    | payment                                   |
|---------------------|-------------------|--------------------------------|-------------------------------------------|
| draft               | draft             | any                            | any                                       |
| awaiting_approval   | pending_approval  | any                            | any                                       |
| credit_hold         | credit_hold       | any                            | any                                       |
| awaiting_payment    | confirmed         | not_released, released         | prepayment_due, partially_paid, overdue   |
| awaiting_shipment   | confirmed         | not_released, released         | not_due, paid                             |
| partially_shipped   | confirmed         | partially_shipped              | any                                       |
| shipped             | confirmed         | shipped (all left, not closed) | any                                       |
| closed              | closed            | any                            | any                                       |
| cancelled           | cancelled         | any                            | any                                       |
| other               | anything else (a status added later and not yet named here)           |

The rules do not overlap, so each one is also a plain filter (`state_q`) that can use the
(status, order date) index. `pending_approval` and `credit_hold` are the statuses the
approvals and credit issues add; until they land no order has them and their rows are zero.
`calculations.derive_state` is the same table in Python.
"""

from __future__ import annotations

from django.db.models import Case, CharField, IntegerField, Q, Value, When

from .calculations import NOT_SHIPPED, PAYMENT_DUE
from .choices import OrderState

S = OrderState


def _rules(p: str) -> list[tuple[str, Q]]:
    def q(**kw) -> Q:
        return Q(**{f"{p}{k}": v for k, v in kw.items()})

    confirmed_unshipped = q(status="confirmed", fulfillment_status__in=NOT_SHIPPED)
    return [
        (S.DRAFT, q(status="draft")),
        (S.AWAITING_APPROVAL, q(status="pending_approval")),
        (S.CREDIT_HOLD, q(status="credit_hold")),
        (S.AWAITING_PAYMENT, confirmed_unshipped & q(payment_status__in=PAYMENT_DUE)),
        (S.AWAITING_SHIPMENT, confirmed_unshipped & ~q(payment_status__in=PAYMENT_DUE)),
        (S.PARTIALLY_SHIPPED, q(status="confirmed", fulfillment_status="partially_shipped")),
        (S.SHIPPED, q(status="confirmed", fulfillment_status="shipped")),
        (S.CLOSED, q(status="closed")),
        (S.CANCELLED, q(status="cancelled")),
    ]


def state_expression(prefix: str = "") -> Case:
    """CASE ... END giving the report state of the order (prefix: "order__" from a line)."""
    return Case(
        *(When(cond, then=Value(str(state))) for state, cond in _rules(prefix)),
        default=Value(str(S.OTHER)),
        output_field=CharField(),
    )


# The report states in their business order; `state_rank_expression` gives the index.
STATE_ORDER: list[str] = [str(s) for s in OrderState.values]


def state_rank_expression(prefix: str = "") -> Case:
    """CASE ... END giving the index of the order's state in STATE_ORDER: one integer per
    order, cheaper to group and sort by than the state's text, and in the business order."""
    return Case(
        *(When(cond, then=Value(STATE_ORDER.index(str(state)))) for state, cond in _rules(prefix)),
        default=Value(STATE_ORDER.index(str(S.OTHER))),
        output_field=IntegerField(),
    )


def state_q(states: list[str] | tuple[str, ...], prefix: str = "") -> Q:
    """Orders in any of `states`, as a filter on the status columns."""
    rules = dict(_rules(prefix))
    out = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
    for state in states:
        if state == S.OTHER:
            known = Q()
            for cond in rules.values():
                known |= cond
            out |= ~known
        else:
            out |= rules[state]
    return out
