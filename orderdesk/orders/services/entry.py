"""Entering and editing orders: create with the contract's terms, change a draft's header and lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Prefetch, ProtectedError, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.models import StreamHead
from orderdesk.audit.services import diff, prime_head, snapshot, stream_of
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.prepared import Prepared, as_get
from orderdesk.core.services import currency_get, number_next, rate_for
from orderdesk.core.transitions import transition_target
from orderdesk.pricing import sources as price_sources
from orderdesk.pricing.selectors import limits_subqueries
from orderdesk.pricing.services import contract_for_order, quote_prices

from .. import hooks
from ..choices import TRANSITIONS, OrderAction, OrderStatus
from ..models import DeliveryScheduleEntry, Order, OrderLine
from ..permissions import can_edit_order, can_sell_to
from . import _common as c

TEXT_FIELDS = {"delivery_terms", "delivery_address", "customer_reference", "comment"}


def order_number(year: int) -> str:
    """Take the next order number of `year`; call last in the creating transaction."""
    prefix = settings.ORDERDESK.get("ORDER_NUMBER_PREFIX", "ЗМ")
    return f"{prefix}-{year}-{number_next(key='orders.order', year=year):06d}"


def _header_values(header: dict[str, Any]) -> dict[str, Any]:
    """Resolve the header fields a caller gave into instances and checked values."""
    unknown = set(header) - set(c.HEADER_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="unknown_field",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    values: dict[str, Any] = {}
    for name, value in header.items():
        if name in c.REFERENCES:
            values[name] = c.resolve(name, value)
        elif name == "currency":
            values[name] = str(value or "").upper()
        elif name == "manager":
            values[name] = c.resolve_manager(value)
        elif name in TEXT_FIELDS:
            values[name] = (value or "").strip()
        elif name in ("order_date", "requested_delivery_date"):
            if value is not None and not isinstance(value, dt.date):
                raise ValidationFailed(
                    _("Not a date: %(v)s.") % {"v": value},
                    code="date_invalid",
                    fields={name: str(value)},
                )
            values[name] = value
        elif name == "partial_shipment_allowed":
            values[name] = bool(value)
        elif name == "discount_percent":  # the order-level discount
            values[name] = c.check_discount(0 if value in (None, "") else value, name)
        else:  # contract: resolved against the customer by the caller
            values[name] = value
    for name in ("payment_terms", "payment_method", "warehouse"):
        if name in values and values[name] is None:
            raise ValidationFailed(
                _("%(f)s is required.") % {"f": name}, code="terms_required", fields={name: None}
            )
    return values


@atomic_with_retry
def order_create(
    *,
    by,
    customer: Any,
    lines: list[c.LineInput] | tuple = (),
    contract: Any = None,
    order_date: dt.date | None = None,
    event_data: dict[str, Any] | None = None,
    **header: Any,
) -> Order:
    """Enter an order for `customer`, its header filled from the contract (given, or the default).

    Rules: the customer is active and one the user sells to (`customer_unknown`,
    `customer_inactive`, `customer_not_permitted`); the contract is the customer's and valid on
    the order date; a term that differs from the contract needs the user's right on that term
    (`term_change_forbidden`); the currency has a rate for the date (`exchange_rate_missing`);
    each line's product is active, quantity > 0, discount 0-100, price known or entered.
    Prices come from quote_prices (contract price, list, derived, cost-plus), automatic
    discounts from the policies (apply_discounts); a manual or order discount above a cap is
    not refused here: it is a deviation (orders.deviations).
    """
    customer = c.resolve_customer(customer)
    # reference data (currencies, warehouse, rights matrix, discount policies) from the
    # process caches, checked against the token read with the customer (core.cache)
    with cache.scope(getattr(customer, "reference_token", None)):
        return _create(by, customer, lines, contract, order_date, event_data, header)


def _create(by, customer, lines, contract, order_date, event_data, header) -> Order:
    if not can_sell_to(by, customer):
        raise PermissionRefused(
            _("You do not sell to %(c)s.") % {"c": customer},
            code="customer_not_permitted",
            fields={"customer": customer.pk},
        )
    on = order_date or timezone.localdate()
    if not isinstance(on, dt.date):
        raise ValidationFailed(
            _("Not a date: %(v)s.") % {"v": on}, code="date_invalid", fields={"order_date": str(on)}
        )
    contract = contract_for_order(customer=customer, contract=contract, on=on)
    standard = c.standard_terms(customer, contract)
    given = _header_values(header)
    c.check_term_rights(by, standard, given)
    values = {**standard, **given}
    if values["payment_terms"] is None or values["payment_method"] is None:
        raise ValidationFailed(
            _("The customer has no valid contract: choose payment terms and a payment method."),
            code="terms_required",
            fields={f: None for f in ("payment_terms", "payment_method") if values[f] is None},
        )
    currency = currency_get(values.pop("currency"))
    rate = rate_for(currency.code, on)
    if values.get("warehouse") is None:
        values["warehouse"] = c.default_warehouse()
    order = Order(
        customer=customer,
        order_date=on,
        currency=currency,  # the instance: the snapshot below reads it without a query
        exchange_rate=rate,
        created_by=by,
        last_changed_by=by,
        **values,
    )
    built = c.build_lines(order, list(lines), by=by)
    c.apply_discounts(order, [line for line, _s in built])
    c.set_totals(order, [line for line, _s in built])
    order.number = order_number(on.year)
    order.save()
    saved = c.save_lines(built)
    edit = c.Edit(order, by, data=dict(event_data or {}))
    edit.add("orders.order.created", order, diff({}, snapshot(order, c.HEADER_SNAPSHOT)))
    for line in saved:
        edit.add("orders.line.added", line, diff({}, c.line_snapshot(line)))
    edit.flush(new_stream=True)
    # the lines as written, for a caller that answers with them at once (the API's card);
    # not a prefetch cache: `order.lines` keeps reading the database for everyone else
    order.created_lines = saved
    return order


def lock_order(order: Order | int, *, by, action: str, moving: bool = False) -> Order:
    """Lock the order row for this transaction and check the user may do `action` now.

    `moving`: the caller submits or confirms, so the order comes with what that reads (its
    terms, manager, lines with products, the reference-data token, the apps' lock facts) in
    this statement and one prefetch, instead of lazily one by one; the instalments of its
    terms come from the reference cache."""
    pk = order.pk if isinstance(order, Order) else order
    try:
        # the statement compiled once per connection (core.prepared): building and compiling
        # this wide queryset was the costliest Python of a confirmation
        rows = (_LOCK_MOVING if moving else _LOCK).rows(Order._meta.pk.get_prep_value(pk))
    except (ValueError, TypeError):
        rows = []
    if not rows:
        raise NotFound(_("No such order."), code="order_not_found")
    order = rows[0]
    if moving:
        if order.head_seq is not None:
            prime_head(stream_of(order), order.head_seq, order.head_hash)
        with cache.scope(order.reference_token):
            c.known_instalments(order)
    if not can_edit_order(by, order):
        raise PermissionRefused(
            _("You may not change order %(n)s.") % {"n": order.number}, code="order_not_permitted"
        )
    if action == OrderAction.EDIT and order.status != OrderStatus.DRAFT:
        raise Conflict(
            _(
                "Order %(n)s is %(s)s: only a draft is edited; a confirmed order is changed by an "
                "amendment."
            )
            % {"n": order.number, "s": order.get_status_display()},
            code="order_not_editable",
        )
    transition_target(TRANSITIONS, order.status, action, what=_("order"))
    return order


def _locked(pk: int, *, moving: bool):
    """The queryset `lock_order` reads: `get(pk=pk)`'s statement (no ordering, LIMIT 21)."""
    qs = Order.objects.select_for_update(of=("self",)).select_related(
        "customer", "price_list", "contract"
    )
    if moving:
        qs = moving_shape(qs)
    return as_get(qs.filter(pk=pk))


_LOCK = Prepared(lambda pk: _locked(pk, moving=False))
_LOCK_MOVING = Prepared(lambda pk: _locked(pk, moving=True))


def moving_shape(qs):
    """What submitting and confirming read of an order, loaded with it: the terms, the
    manager, the warehouse and the author joined (the API's answer shows them), the lines
    (with products, by position, each with `has_schedule`) prefetched, the reference-data
    token (core.cache) as `reference_token`, the apps' lock facts (`hooks.lock_fact`), and
    the manager's discount cap and budget (`pricing.selectors.limits_subqueries`). The
    instalments of the terms come from the reference cache (`lock_order`)."""
    lines = (
        OrderLine.objects.select_related("product")
        .order_by("position")
        .annotate(has_schedule=Exists(DeliveryScheduleEntry.objects.filter(line=OuterRef("pk"))))
    )
    return (
        qs.select_related(
            "payment_terms",
            "payment_method",
            "delivery_method",
            "manager",
            "warehouse",
            "created_by",
        )
        .prefetch_related(Prefetch("lines", queryset=lines))
        .annotate(
            reference_token=cache.version_subquery(),
            # what the apps above ask to know with the lock (hooks.lock_fact): has the order
            # invoices, reservations, releases yet
            **hooks.lock_facts(),
            # the manager's discount cap and budget for the deviations' limits, in this same
            # statement (pricing.selectors.limits_for(known=order))
            **limits_subqueries(manager_field="manager_id", day_field="order_date"),
            # where the order's history stream ends (a hint for audit, checked on write)
            **_head_subqueries(),
        )
    )


def _head_subqueries() -> dict:
    heads = StreamHead.objects.filter(
        stream=Concat(Value("orders.order:"), Cast(OuterRef("pk"), CharField()))
    )
    return {
        "head_seq": Subquery(heads.values("seq")[:1]),
        "head_hash": Subquery(heads.values("hash")[:1]),
    }


def _reprice(order: Order, lines: list[OrderLine], *, old_rate: Decimal, old_currency: str) -> None:
    """After currency, price list or date changed: standard-priced lines take the new standard,
    hand-priced lines keep their value converted to the new currency."""
    quantities: dict[int, Decimal] = {}
    for line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, Decimal(0)) + line.quantity
    quotes = quote_prices(
        price_list=order.price_list,
        products={line.product for line in lines},
        quantities=quantities,
        on=order.order_date,
        currency=order.currency_id,
        order_rate=order.exchange_rate,
        contract=order.contract,
    )
    for line in lines:
        quote = quotes.get(line.product_id)
        standard_priced = line.list_price is not None and line.unit_price == line.list_price
        if standard_priced and quote is not None:
            line.unit_price = line.list_price = quote.price
            line.price_origin = quote.origin
        else:
            if old_currency != order.currency_id:
                line.unit_price = c.calc.convert_price(
                    line.unit_price, from_rate=old_rate, to_rate=order.exchange_rate
                )
            line.list_price = quote.price if quote else None
            if quote is None or line.unit_price != quote.price:
                line.price_origin = price_sources.MANUAL
        c.price_line(line, order)


# Line fields an edit may change (saved in one bulk update).
LINE_SAVE_FIELDS = [
    "quantity",
    "unit_price",
    "list_price",
    "price_origin",
    "auto_discount_percent",
    "manual_discount_percent",
    "discount_percent",
    "discount_breakdown",
    "net_amount",
    "vat_amount",
    "gross_amount",
    "requested_delivery_date",
]
# Header fields whose change prices the lines again.
REPRICING_FIELDS = ("currency", "order_date", "price_list", "contract")


def apply_changes(
    edit: c.Edit,
    *,
    header: dict[str, Any] | None = None,
    add: list[c.LineInput] | tuple = (),
    update: dict[int, dict[str, Any]] | None = None,
    remove: list[int] | tuple = (),
) -> bool:
    """Apply header and line changes to a locked order, record before -> after; True if
    anything changed.

    Lines are priced again when anything that prices them changes (a line added, removed or
    changed, the currency, date, price list, contract or the order discount): on a draft every
    line's automatic discount is evaluated anew (amount tiers read the whole order); on a
    confirmed order only the lines the amendment touches are, the others keep theirs. Every
    line whose price, discount or amounts moved gets a `orders.line.changed` event.
    """
    order, by = edit.order, edit.by
    lines = {
        line.pk: line for line in order.lines.select_related("product").prefetch_related("schedule")
    }
    before_lines = {pk: c.line_snapshot(line) for pk, line in lines.items()}
    before_header = snapshot(order, c.HEADER_SNAPSHOT)
    changed = False
    reprice = False
    reprice_all = False

    if header:
        given = _header_values(header)
        current = {name: getattr(order, name) for name in c.HEADER_FIELDS}
        current["currency"] = order.currency_id
        implied: dict[str, Any] = {}
        if "contract" in given:
            new_on = given.get("order_date") or order.order_date
            contract = contract_for_order(
                customer=order.customer, contract=given["contract"], on=new_on
            )
            given["contract"] = contract
            implied = {
                k: v
                for k, v in c.standard_terms(order.customer, contract).items()
                if k in c.CONTRACT_TERMS and k not in given
            }
        c.check_term_rights(by, {**current, **implied}, given)
        values = {**implied, **given}
        old_rate, old_currency = order.exchange_rate, order.currency_id
        old_discount = order.discount_percent
        for name, value in values.items():
            if name == "currency":
                order.currency_id = value
            else:
                setattr(order, name, value)
        if any(k in values for k in REPRICING_FIELDS):
            if order.status == OrderStatus.DRAFT:
                new_rate = c.order_rate(order.currency_id, order.order_date)
            elif order.currency_id != old_currency:
                # an amendment to another currency fixes that currency's rate of today
                new_rate = c.order_rate(order.currency_id, timezone.localdate())
            else:  # the rate fixed at confirmation stays
                new_rate = order.exchange_rate
            if order.contract and not order.contract.valid_on(order.order_date):
                contract_for_order(
                    customer=order.customer, contract=order.contract, on=order.order_date
                )
            order.exchange_rate = new_rate
            if lines:
                _reprice(order, list(lines.values()), old_rate=old_rate, old_currency=old_currency)
                reprice = reprice_all = True
        if order.discount_percent != old_discount:
            reprice = True

    removing: list[tuple[int, OrderLine]] = []
    for pk in remove:
        key = _line_pk(pk, lines)
        line = lines.pop(key)
        if line.shipped_quantity > 0:
            raise ValidationFailed(
                _("Line %(p)s has shipments and cannot be removed.") % {"p": line.position},
                code="line_has_shipments",
                fields={"line": pk},
            )
        if line.cancelled_quantity > 0:
            raise _line_has_history(line, pk)
        removing.append((key, line))
    if removing and order.status != OrderStatus.DRAFT:
        # what the lines hold elsewhere (the warehouse's reservations) goes back first: those
        # rows are deleted with the lines
        hooks.emit(hooks.LINES_REMOVING, by=by, order=order, lines=[li for _k, li in removing])
    for key, line in removing:
        edit.add("orders.line.removed", line, diff(before_lines.pop(key), {}))
        try:
            line.delete()
        except ProtectedError:  # a document refers to it (an invoice, a shipment...)
            raise _line_has_history(line, key) from None
        changed = reprice = True

    touched: list[int] = []
    for pk, changes in (update or {}).items():
        key = _line_pk(pk, lines)
        _update_line(edit, lines[key], changes)
        touched.append(key)
        reprice = True

    new_lines: list[tuple[OrderLine, list]] = []
    if add:
        start = (max((li.position for li in lines.values()), default=0)) + 1
        new_lines = c.build_lines(order, list(add), by=by, first_position=start)
        reprice = True

    if reprice:
        every = [*lines.values(), *(line for line, _s in new_lines)]
        if order.status == OrderStatus.DRAFT or reprice_all:
            fresh = None
        else:
            fresh = [lines[k] for k in touched] + [line for line, _s in new_lines]
        c.apply_discounts(order, every, fresh=fresh)

    order_of_events = touched + sorted(
        (k for k in lines if k not in touched), key=lambda k: lines[k].position
    )
    dirty = []
    for key in order_of_events:
        line = lines[key]
        delta = diff(before_lines[key], c.line_snapshot(line))
        if delta:
            dirty.append(line)
            edit.add("orders.line.changed", line, delta)
    if dirty:
        OrderLine.objects.bulk_update(dirty, LINE_SAVE_FIELDS)
        changed = True

    if new_lines:
        for line in c.save_lines(new_lines):
            lines[line.pk] = line
            edit.add("orders.line.added", line, diff({}, c.line_snapshot(line)))
        changed = True

    c.set_totals(order, list(lines.values()))
    delta = diff(before_header, snapshot(order, c.HEADER_SNAPSHOT))
    if delta or changed:
        order.last_changed_by = by
        order.save()
    if delta:
        edit.add("orders.order.changed", order, delta)
    return bool(delta) or changed


def _line_has_history(line: OrderLine, pk: Any) -> Conflict:
    return Conflict(
        _(
            "Line %(p)s has cancellations or documents and cannot be removed; cancel its rest instead."
        )
        % {"p": line.position},
        code="line_has_history",
        fields={"line": str(pk)},
    )


def _line_pk(pk: Any, lines: dict[int, OrderLine]) -> int:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = None
    if key not in lines:
        raise ValidationFailed(
            _("No line %(l)s on this order.") % {"l": pk},
            code="line_unknown",
            fields={"line": str(pk)},
        )
    return key


LINE_EDITABLE = {
    "quantity",
    "unit_price",
    "discount_percent",
    "requested_delivery_date",
    "schedule",
}


def _update_line(edit: c.Edit, line: OrderLine, changes: dict[str, Any]) -> None:
    """Check and apply one line's changes in memory (the schedule is replaced at once); the
    caller prices, records and saves the line."""
    unknown = set(changes) - LINE_EDITABLE
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="unknown_field",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    order, by = edit.order, edit.by
    idx = line.position
    if "quantity" in changes:
        qty = c.check_quantity(changes["quantity"], f"lines[{idx}].quantity")
        if qty < line.shipped_quantity + line.cancelled_quantity:
            raise ValidationFailed(
                _("Quantity cannot go below what is shipped or cancelled (%(q)s).")
                % {"q": line.shipped_quantity + line.cancelled_quantity},
                code="quantity_below_shipped",
                fields={f"lines[{idx}].quantity": str(qty)},
            )
        standard_priced = line.list_price is not None and line.unit_price == line.list_price
        line.quantity = qty
        if standard_priced and "unit_price" not in changes:
            quote = quote_prices(
                price_list=order.price_list,
                products=[line.product],
                quantities={line.product_id: qty},
                on=order.order_date,
                currency=order.currency_id,
                order_rate=order.exchange_rate,
                contract=order.contract,
            ).get(line.product_id)
            if quote is not None:
                line.unit_price = line.list_price = quote.price
                line.price_origin = quote.origin
    if "unit_price" in changes:
        price = c.check_price(changes["unit_price"], f"lines[{idx}].unit_price")
        if price != line.unit_price:
            c.check_line_rights(by, index=idx, price_changed=True, discount_changed=False)
            line.unit_price = price
            if price != line.list_price:
                line.price_origin = price_sources.MANUAL
            else:  # back to the standard price: say again where it comes from
                quote = quote_prices(
                    price_list=order.price_list,
                    products=[line.product],
                    quantities={line.product_id: line.quantity},
                    on=order.order_date,
                    currency=order.currency_id,
                    order_rate=order.exchange_rate,
                    contract=order.contract,
                ).get(line.product_id)
                if quote is not None and quote.price == price:
                    line.price_origin = quote.origin
    if "discount_percent" in changes:  # the manual part
        discount = c.check_discount(changes["discount_percent"], f"lines[{idx}].discount_percent")
        if discount != line.manual_discount_percent:
            c.check_line_rights(by, index=idx, price_changed=False, discount_changed=True)
            line.manual_discount_percent = discount
    if "requested_delivery_date" in changes:
        line.requested_delivery_date = changes["requested_delivery_date"]
    schedule = None
    if "schedule" in changes:
        schedule = c.check_schedule(changes["schedule"], line.quantity, idx)
    elif "quantity" in changes:
        c.check_schedule([(e.date, e.quantity) for e in line.schedule.all()], line.quantity, idx)
    if schedule is not None:
        DeliveryScheduleEntry.objects.filter(line=line).delete()
        DeliveryScheduleEntry.objects.bulk_create(
            [DeliveryScheduleEntry(line=line, date=d, quantity=q) for d, q in schedule]
        )
        line._schedule = schedule


@atomic_with_retry
def order_update(*, by, order: Order | int, **header: Any) -> Order:
    """Change the header of a draft order (terms under the rights matrix)."""
    order = lock_order(order, by=by, action=OrderAction.EDIT)
    edit = c.Edit(order, by)
    apply_changes(edit, header=header)
    edit.flush()
    return order


@atomic_with_retry
def order_line_add(*, by, order: Order | int, line: c.LineInput) -> OrderLine:
    """Add a line to a draft order."""
    order = lock_order(order, by=by, action=OrderAction.EDIT)
    edit = c.Edit(order, by)
    apply_changes(edit, add=[line])
    edit.flush()
    return order.lines.order_by("-position").first()


@atomic_with_retry
def order_line_update(*, by, order: Order | int, line_id: int, **changes: Any) -> Order:
    """Change quantity, price, discount, date or schedule of a draft order's line."""
    order = lock_order(order, by=by, action=OrderAction.EDIT)
    edit = c.Edit(order, by)
    apply_changes(edit, update={line_id: changes})
    edit.flush()
    return order


@atomic_with_retry
def order_line_remove(*, by, order: Order | int, line_id: int) -> Order:
    """Remove a line from a draft order."""
    order = lock_order(order, by=by, action=OrderAction.EDIT)
    edit = c.Edit(order, by)
    apply_changes(edit, remove=[line_id])
    edit.flush()
    return order
