"""What the billing services share: locks, rights, numbers, history, policy, order line maths."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.money import ZERO, quantize
from orderdesk.core.services import base_currency, number_next
from orderdesk.orders.calculations import Amounts, line_amounts
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services._common import check_quantity
from orderdesk.orders.services.progress import lock_order_row

from ..models import (
    BillingPolicy,
    CashReceipt,
    CreditNote,
    DeliveryNote,
    Document,
    DocumentStatus,
    Invoice,
    Payment,
)
from ..permissions import can_account

log = logging.getLogger("orderdesk.billing")
QTY = Decimal("0.001")

DOCUMENT_MODELS: dict[str, type[Document]] = {
    "invoice": Invoice,
    "delivery_note": DeliveryNote,
    "credit_note": CreditNote,
    "cash_receipt": CashReceipt,
}
ACTIVE = (DocumentStatus.DRAFT, DocumentStatus.POSTED)


def today() -> dt.date:
    return timezone.localdate()


def require_accounting(by, what: str = "") -> None:
    """Refuse (`billing_not_permitted`, 403) anyone but an accountant or administrator."""
    if not can_account(by):
        raise PermissionRefused(
            _("Only an accountant or an administrator may do this%(w)s.")
            % {"w": f" ({what})" if what else ""},
            code="billing_not_permitted",
        )


def lock_order(order: Order | int) -> Order:
    """The order row FOR UPDATE: one writer per order, and its history chain in line."""
    return lock_order_row(order)


def lock_orders(ids: Iterable[int | None]) -> dict[int, Order]:
    """Lock several orders in ascending id order (never in two orders: no deadlock)."""
    return {pk: lock_order_row(pk) for pk in sorted({i for i in ids if i})}


def lock_document(model: type[Document], pk: Any) -> Document:
    try:
        return model.objects.select_for_update(of=("self",)).get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise NotFound(
            _("No such %(what)s.") % {"what": model._meta.verbose_name}, code="document_not_found"
        ) from None


def require_draft(doc: Document) -> None:
    """A posted document is immutable (`document_posted`, 409); a reversed one too."""
    if doc.status == DocumentStatus.POSTED:
        raise Conflict(
            _("%(d)s is posted and cannot be changed; reverse it instead.") % {"d": doc},
            code="document_posted",
        )
    if doc.status == DocumentStatus.REVERSED:
        raise Conflict(_("%(d)s is reversed.") % {"d": doc}, code="document_reversed")


def require_postable(doc: Document) -> None:
    if doc.status == DocumentStatus.POSTED:
        raise Conflict(_("%(d)s is posted already.") % {"d": doc}, code="document_already_posted")
    if doc.status == DocumentStatus.REVERSED:
        raise Conflict(_("%(d)s is reversed.") % {"d": doc}, code="document_reversed")


def require_reversible(doc: Document | Payment) -> None:
    if doc.status == DocumentStatus.DRAFT:
        raise Conflict(
            _("A draft is not posted; delete it instead of reversing it."),
            code="document_not_posted",
        )
    if doc.status == DocumentStatus.REVERSED:
        raise Conflict(_("%(d)s is reversed already.") % {"d": doc}, code="document_reversed")


def take_number(doc: Document, on: dt.date) -> str:
    """The next number of the document's series for the year of `on` (gap-free). The
    counter row stays locked until commit: call this as the last step before saving."""
    value = number_next(key=doc.series_key, year=on.year)
    return f"{doc.number_prefix}-{on.year}-{value:06d}"


def history(order: Order, by, entries: list[Entry]) -> None:
    """Append to the order's timeline (the caller holds the order's lock)."""
    record_many(stream=stream_of(order), entries=entries, by=by)


def after_commit(message: str, **data: Any) -> None:
    """Side effects that must not happen for a rolled-back change run after the commit."""
    transaction.on_commit(lambda: log.info(message, extra={"billing": data}))


def policy_for(order: Order) -> BillingPolicy:
    """The contract's policy, else the company default, else the built-in defaults."""
    if order.contract_id:
        policy = BillingPolicy.objects.filter(contract_id=order.contract_id).first()
        if policy:
            return policy
    return BillingPolicy.objects.filter(is_default=True).first() or BillingPolicy(is_default=True)


def base_amount(amount: Decimal, rate: Decimal) -> Decimal:
    return quantize(amount * rate, base_currency())


# --- order lines and what documents already cover ------------------------------------------


def effective_quantity(line: OrderLine) -> Decimal:
    return line.quantity - line.cancelled_quantity


def effective_amounts(line: OrderLine, currency: str) -> Amounts:
    """The order line's amounts for what is still ordered (less cancelled quantity)."""
    if line.cancelled_quantity == ZERO:
        return Amounts(line.net_amount, line.vat_amount, line.gross_amount)
    return line_amounts(
        quantity=effective_quantity(line),
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        vat_rate=line.vat_rate,
        currency=currency,
    )


@dataclass
class Covered:
    quantity: Decimal
    amounts: Amounts


def covered(line_model, parent: str, order: Order, **filters: Any) -> dict[int, Covered]:
    """Per order line: quantity and amounts on the order's documents of `line_model` whose
    parent (`invoice`, `delivery_note`) is draft or posted and matches `filters`."""
    rows = (
        line_model.objects.filter(
            **{f"{parent}__order": order, f"{parent}__status__in": ACTIVE},
            **{f"{parent}__{k}": v for k, v in filters.items()},
        )
        .values("order_line_id")
        .annotate(
            q=Sum("quantity"),
            net=Sum("net_amount"),
            vat=Sum("vat_amount"),
            gross=Sum("gross_amount"),
        )
    )
    # SQLite sums decimals as floats: round back to the columns' digits
    return {
        r["order_line_id"]: Covered(
            (r["q"] or ZERO).quantize(QTY),
            Amounts(*(quantize(r[k] or ZERO, order.currency_id) for k in ("net", "vat", "gross"))),
        )
        for r in rows
    }


def resolve_lines(
    order: Order, lines: Iterable[tuple[Any, Any]]
) -> list[tuple[OrderLine, Decimal]]:
    """[(order line or id, quantity)] of `order`, checked (`line_unknown`,
    `quantity_not_positive`), quantities of a repeated line added up."""
    own = {line.pk: line for line in order.lines.select_related("product").order_by("position")}
    result: dict[int, tuple[OrderLine, Decimal]] = {}
    for i, (line, quantity) in enumerate(lines):
        pk = getattr(line, "pk", line)
        try:
            current = own[int(pk)]
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed(
                _("No line %(l)s on this order.") % {"l": pk},
                code="line_unknown",
                fields={f"lines[{i}].line": str(pk)},
            ) from None
        qty = check_quantity(quantity, f"lines[{i}].quantity")
        before = result.get(current.pk, (current, ZERO))[1]
        result[current.pk] = (current, before + qty)
    if not result:
        raise ValidationFailed(_("Name at least one line."), code="lines_required")
    return sorted(result.values(), key=lambda pair: pair[0].position)


def line_fields(order_line: OrderLine, quantity: Decimal, amounts: Amounts, position: int) -> dict:
    return {
        "order_line": order_line,
        "position": position,
        "sku": order_line.product.sku,
        "description": order_line.description,
        "unit": order_line.unit,
        "quantity": quantity,
        "unit_price": order_line.unit_price,
        "discount_percent": order_line.discount_percent,
        "vat_rate": order_line.vat_rate,
        "net_amount": amounts.net,
        "vat_amount": amounts.vat,
        "gross_amount": amounts.gross,
    }


def set_totals(doc: Document, lines: Iterable[Any]) -> None:
    total = Amounts(ZERO, ZERO, ZERO)
    for line in lines:
        total = total + Amounts(line.net_amount, line.vat_amount, line.gross_amount)
    doc.net_amount, doc.vat_amount, doc.gross_amount = total.net, total.vat, total.gross
    doc.base_gross_amount = base_amount(total.gross, doc.exchange_rate)


def doc_entry(action: str, doc: Any, **data: Any) -> Entry:
    """A history entry about a document: its number, kind and money in `data`."""
    payload = {
        "number": getattr(doc, "number", ""),
        "currency": getattr(doc, "currency_id", ""),
    }
    for name in ("gross_amount", "payable_amount", "credit_amount", "amount"):
        value = getattr(doc, name, None)
        if value is not None:
            payload[name] = value
    if getattr(doc, "kind", None):
        payload["kind"] = doc.kind
    payload.update(data)
    return Entry(action, doc, {}, payload)


def status_entry(action: str, doc: Any, before: str, **data: Any) -> Entry:
    entry = doc_entry(action, doc, **data)
    entry.changes = {"status": {"from": before, "to": doc.status}}
    return entry


def order_or_404(order: Order | int) -> Order:
    if isinstance(order, Order):
        return order
    try:
        return Order.objects.get(pk=int(order))
    except (Order.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such order."), code="order_not_found") from None
