"""Reading the ledger: open items, balances and open amounts as of any date, statements.

"As of D" is replayed from the rows, never read from `open_amount`: an item counts when it
was posted on or before D, an allocation when it is dated on or before D and was not undone
by then. A report for a past date therefore stays the same when later payments arrive.
Visibility follows the customers the user may see (`customers.selectors.customer_scope`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.core.money import ZERO, quantize
from orderdesk.customers.models import Customer
from orderdesk.customers.selectors import customer_scope

from .models import Allocation, OpenItem, Side

MONEY = DecimalField(max_digits=18, decimal_places=2)


def _in_force(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}date__lte": on}) & (
        Q(**{f"{prefix}reversed_on__isnull": True}) | Q(**{f"{prefix}reversed_on__gt": on})
    )


def _settled_sum(side_field: str, amount_field: str, on: dt.date) -> Subquery:
    return Subquery(
        Allocation.objects.filter(_in_force(on), **{side_field: OuterRef("pk")})
        .order_by()
        .values(side_field)
        .annotate(total=Sum(amount_field))
        .values("total")[:1],
        output_field=MONEY,
    )


def items_as_of(on: dt.date, qs: QuerySet[OpenItem] | None = None) -> QuerySet[OpenItem]:
    """Items posted on or before `on`, each annotated with `open_as_of` (its open amount that
    day). Filter `open_as_of__gt=0` for what was open."""
    qs = (qs if qs is not None else OpenItem.objects.all()).filter(posting_date__lte=on)
    debit_settled = Coalesce(_settled_sum("debit", "amount", on), Value(ZERO), output_field=MONEY)
    credit_settled = Coalesce(
        _settled_sum("credit", "credit_amount", on), Value(ZERO), output_field=MONEY
    )
    return qs.annotate(settled_debit=debit_settled, settled_credit=credit_settled).annotate(
        open_as_of=Case(
            When(side=Side.DEBIT, then=F("amount") - F("settled_debit")),
            default=F("amount") - F("settled_credit"),
            output_field=MONEY,
        )
    )


def open_amount_as_of(item: OpenItem, on: dt.date) -> Decimal:
    """What of `item` was open on `on` (zero before it was posted)."""
    if item.posting_date > on:
        return ZERO
    field_name = "debit" if item.side == Side.DEBIT else "credit"
    amount_field = "amount" if item.side == Side.DEBIT else "credit_amount"
    settled = Allocation.objects.filter(_in_force(on), **{field_name: item}).aggregate(
        total=Sum(amount_field)
    )["total"]
    return item.amount - quantize(settled or ZERO, item.currency_id)


def balance_as_of(customer: Customer | int, currency: str, on: dt.date) -> Decimal:
    """Owed by the customer (+) or to the customer (-) in `currency` at the end of `on`:
    debits less credits posted by then (allocations move nothing between the two sides)."""
    customer_id = getattr(customer, "pk", customer)
    rows = (
        OpenItem.objects.filter(customer_id=customer_id, currency_id=currency, posting_date__lte=on)
        .values("side")
        .annotate(total=Sum("amount"))
    )
    totals = {row["side"]: row["total"] or ZERO for row in rows}
    # SQLite sums decimals as floats: round back to the currency's digits
    return quantize(totals.get(Side.DEBIT, ZERO) - totals.get(Side.CREDIT, ZERO), currency)


def balances(customer: Customer | int) -> list[dict[str, Any]]:
    """Per currency: owed (open debits), credit (open credits) and the net balance, now."""
    customer_id = getattr(customer, "pk", customer)
    rows = (
        OpenItem.objects.filter(customer_id=customer_id, open_amount__gt=0)
        .values("currency_id", "side")
        .annotate(total=Sum("open_amount"))
        .order_by("currency_id")
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(
            row["currency_id"], {"currency": row["currency_id"], "owed": ZERO, "credit": ZERO}
        )
        entry["owed" if row["side"] == Side.DEBIT else "credit"] += row["total"] or ZERO
    for entry in out.values():
        for key in ("owed", "credit"):
            entry[key] = quantize(entry[key], entry["currency"])
        entry["balance"] = entry["owed"] - entry["credit"]
    return list(out.values())


def overdue_amount(customer: Customer | int, *, on: dt.date) -> dict[str, Decimal]:
    customer_id = getattr(customer, "pk", customer)
    rows = (
        OpenItem.objects.filter(
            customer_id=customer_id, side=Side.DEBIT, open_amount__gt=0, due_date__lt=on
        )
        .values("currency_id")
        .annotate(total=Sum("open_amount"))
    )
    return {row["currency_id"]: quantize(row["total"], row["currency_id"]) for row in rows}


def open_items_for(
    *,
    user,
    customer: Any = None,
    order_id: Any = None,
    currency: str | None = None,
    side: str | None = None,
    only_open: bool = True,
    as_of: dt.date | None = None,
) -> QuerySet[OpenItem]:
    """Items of the customers the user may see, filtered; with `as_of`, annotated with
    `open_as_of` and (when `only_open`) limited to what was open that day."""
    qs = OpenItem.objects.filter(customer_scope(user, "customer__")).select_related(
        "customer", "currency"
    )
    for name, value in (("customer", customer), ("order_id", order_id)):
        if value not in (None, ""):
            try:
                qs = qs.filter(**{f"{name}_id" if name == "customer" else name: int(value)})
            except (TypeError, ValueError):
                raise ValidationFailed(
                    _("Invalid filter value."), code="filter_invalid", fields={name: str(value)}
                ) from None
    if currency:
        qs = qs.filter(currency_id=str(currency).upper())
    if side:
        if side not in Side.values:
            raise ValidationFailed(
                _("Unknown side."), code="filter_invalid", fields={"side": str(side)}
            )
        qs = qs.filter(side=side)
    if as_of is not None:
        qs = items_as_of(as_of, qs)
        if only_open:
            qs = qs.filter(open_as_of__gt=0)
    elif only_open:
        qs = qs.filter(open_amount__gt=0)
    return qs.order_by("due_date", "posting_date", "pk")


def customer_for(*, user, pk: Any) -> Customer:
    try:
        return Customer.objects.filter(customer_scope(user)).get(pk=int(pk))
    except (Customer.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such customer."), code="customer_not_found") from None


@dataclass
class StatementRow:
    date: dt.date
    doc_type: str
    doc_number: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal
    order_id: int | None = None


@dataclass
class Statement:
    """A customer statement (акт звірки) in one currency for a period."""

    customer: Customer
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    rows: list[StatementRow] = field(default_factory=list)
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    closing: Decimal = ZERO


def statement(
    *, customer: Customer, currency: str, date_from: dt.date, date_to: dt.date
) -> Statement:
    """Opening balance the day before `date_from`, every item posted in the period in date
    order with a running balance, the period's totals and the closing balance on `date_to`.
    Raises `date_range_reversed`."""
    if date_from > date_to:
        raise ValidationFailed(
            _("The date range is reversed."),
            code="date_range_reversed",
            fields={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
    opening = balance_as_of(customer, currency, date_from - dt.timedelta(days=1))
    result = Statement(customer, currency, date_from, date_to, opening)
    running = opening
    items = OpenItem.objects.filter(
        customer=customer, currency_id=currency, posting_date__range=(date_from, date_to)
    ).order_by("posting_date", "pk")
    for item in items:
        debit = item.amount if item.side == Side.DEBIT else ZERO
        credit = item.amount if item.side == Side.CREDIT else ZERO
        running += debit - credit
        result.total_debit += debit
        result.total_credit += credit
        result.rows.append(
            StatementRow(
                date=item.posting_date,
                doc_type=item.doc_type,
                doc_number=item.doc_number,
                description=item.description,
                debit=debit,
                credit=credit,
                balance=running,
                order_id=item.order_id,
            )
        )
    result.closing = running
    return result


def currencies_of(customer: Customer | int) -> list[str]:
    customer_id = getattr(customer, "pk", customer)
    return list(
        OpenItem.objects.filter(customer_id=customer_id)
        .values_list("currency_id", flat=True)
        .distinct()
        .order_by("currency_id")
    )
