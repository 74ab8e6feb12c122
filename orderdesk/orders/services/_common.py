"""Shared parts of the order services: input, resolving references, validation, recalculation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, jsonable, record_many, stream_of
from orderdesk.catalog.models import Product, Warehouse
from orderdesk.core import cache
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.money import quantize, to_decimal
from orderdesk.core.prepared import Prepared, as_get
from orderdesk.core.roles import roles_of
from orderdesk.core.services import base_currency, currency_get, rate_for
from orderdesk.customers.models import (
    Customer,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    PaymentTermsInstalment,
)
from orderdesk.pricing import calculations as pricing_calc
from orderdesk.pricing import sources as price_sources
from orderdesk.pricing.models import Contract, PriceList
from orderdesk.pricing.services import (
    discount_rules,
    group_price_list,
    product_group_lineage,
    quote_prices,
)

from .. import calculations as calc
from .. import explain
from ..choices import HEADER_TERM, Term
from ..models import DeliveryScheduleEntry, Order, OrderLine, TermRight
from ..permissions import allowed_terms

# reference data the order services read from the process caches (core.cache)
cache.track(Warehouse, TermRight, PaymentTerms, PaymentTermsInstalment)


def _all_instalments() -> dict[int, list[PaymentTermsInstalment]]:
    out: dict[int, list[PaymentTermsInstalment]] = {}
    for item in PaymentTermsInstalment.objects.order_by("terms_id", "position"):
        out.setdefault(item.terms_id, []).append(item)
    return out


def known_instalments(order: Order) -> None:
    """The instalments of the order's payment terms from the reference cache (inside a
    `cache.scope`), as if prefetched: `order.payment_terms.instalments.all()` reads no
    statement. Shared between orders and threads: read-only."""
    if order.payment_terms_id is None or not cache.in_scope():
        return
    by_terms = cache.cached("customers.instalments", _all_instalments)
    known_related(order.payment_terms, "instalments", by_terms.get(order.payment_terms_id, []))


HEADER_FIELDS = [
    "contract",
    "currency",
    "price_list",
    "payment_terms",
    "payment_method",
    "delivery_method",
    "delivery_terms",
    "delivery_address",
    "warehouse",
    "manager",
    "order_date",
    "requested_delivery_date",
    "customer_reference",
    "comment",
    "partial_shipment_allowed",
    "discount_percent",
]
HEADER_SNAPSHOT = [
    "number",
    "customer",
    *HEADER_FIELDS,
    "exchange_rate",
    "net_amount",
    "vat_amount",
    "gross_amount",
]
LINE_SNAPSHOT = [
    "product",
    "quantity",
    "unit_price",
    "list_price",
    "price_origin",
    "auto_discount_percent",
    "manual_discount_percent",
    "discount_percent",
    "discount_source",  # the text, from the breakdown (OrderLine.discount_source)
    "vat_rate",
    "net_amount",
    "vat_amount",
    "gross_amount",
    "requested_delivery_date",
]
# Terms the contract fixes; an order value that differs from these is shown as a difference.
CONTRACT_TERMS = [
    "currency",
    "price_list",
    "payment_terms",
    "payment_method",
    "delivery_method",
    "delivery_terms",
]

REFERENCES: dict[str, tuple[type[models.Model], str]] = {
    "price_list": (PriceList, "price_list_unknown"),
    "payment_terms": (PaymentTerms, "payment_terms_unknown"),
    "payment_method": (PaymentMethod, "payment_method_unknown"),
    "delivery_method": (DeliveryMethod, "delivery_method_unknown"),
    "warehouse": (Warehouse, "warehouse_unknown"),
}


@dataclass
class LineInput:
    """One line as a person or a client enters it; omitted values come from the standard."""

    product: Any
    quantity: Any
    unit_price: Any = None
    discount_percent: Any = None
    requested_delivery_date: dt.date | None = None
    schedule: list[tuple[dt.date, Any]] | None = None


@dataclass
class Edit:
    """What one service call changes on one order, and the history it writes at the end."""

    order: Order
    by: Any
    entries: list[Entry] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, action: str, obj: models.Model, changes=None, **data) -> None:
        self.entries.append(Entry(action, obj, changes or {}, {**self.data, **data}))

    def flush(self, *, new_stream: bool = False) -> None:
        record_many(
            stream=stream_of(self.order), entries=self.entries, by=self.by, new_stream=new_stream
        )
        self.entries = []


# --- parsing and checking input -------------------------------------------------------------


def number(value: Any, *, field_name: str, max_digits: int, places: int) -> Decimal:
    try:
        result = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not a number.") % {"v": value},
            code="number_invalid",
            fields={field_name: str(value)},
        ) from None
    if not calc.decimal_fits(result, max_digits=max_digits, places=places):
        raise ValidationFailed(
            _("%(f)s allows at most %(p)s decimal places and %(w)s digits before the point.")
            % {"f": field_name, "p": places, "w": max_digits - places},
            code="number_precision",
            fields={field_name: str(value)},
        )
    return result


def check_quantity(value: Any, field_name: str = "quantity") -> Decimal:
    qty = number(value, field_name=field_name, max_digits=18, places=3)
    if qty <= 0:
        raise ValidationFailed(
            _("Quantity must be greater than zero."),
            code="quantity_not_positive",
            fields={field_name: str(value)},
        )
    return qty


def check_price(value: Any, field_name: str = "unit_price") -> Decimal:
    price = number(value, field_name=field_name, max_digits=18, places=4)
    if price < 0:
        raise ValidationFailed(
            _("A price cannot be negative."), code="price_negative", fields={field_name: str(value)}
        )
    return price


def check_discount(value: Any, field_name: str = "discount_percent") -> Decimal:
    discount = number(value, field_name=field_name, max_digits=5, places=2)
    if not (0 <= discount <= 100):
        raise ValidationFailed(
            _("A discount must be between 0 and 100 %."),
            code="discount_out_of_range",
            fields={field_name: str(value)},
        )
    return discount


def resolve(name: str, value: Any, *, active: bool = True):
    """A reference field's value as an instance; unknown or inactive -> `<name>_unknown`."""
    if value is None or value == "":
        return None
    model, code = REFERENCES[name]
    if isinstance(value, model):
        obj = value
    else:
        try:
            obj = model.objects.get(pk=value)
        except (model.DoesNotExist, ValueError, TypeError):
            obj = None
    if obj is None or (active and not getattr(obj, "active", True)):
        raise ValidationFailed(
            _("Unknown or inactive %(f)s “%(v)s”.") % {"f": name, "v": value},
            code=code,
            fields={name: str(value)},
        )
    return obj


# compiled once per connection (core.prepared): the customer by key, as `get(pk=...)` reads it
_CUSTOMER = Prepared(
    lambda pk: as_get(
        Customer.objects.select_related("manager")
        .annotate(reference_token=cache.version_subquery())
        .filter(pk=pk)
    )
)


def resolve_customer(value: Any) -> Customer:
    """The active customer `value` (an instance or a key). Read by key, it comes with its
    responsible manager and the reference-data token (`customer.reference_token`, see
    core.cache) in the same statement."""
    customer = value if isinstance(value, Customer) else None
    if customer is None:
        try:
            rows = _CUSTOMER.rows(Customer._meta.pk.get_prep_value(value))
        except (ValueError, TypeError):
            rows = []
        if not rows:
            raise ValidationFailed(
                _("Unknown customer “%(v)s”.") % {"v": value},
                code="customer_unknown",
                fields={"customer": str(value)},
            )
        customer = rows[0]
    if not customer.active:
        raise ValidationFailed(
            _("Customer %(c)s is not active.") % {"c": customer},
            code="customer_inactive",
            fields={"customer": customer.pk},
        )
    return customer


def resolve_manager(value: Any):
    User = get_user_model()
    if isinstance(value, User):
        return value
    try:
        return User.objects.get(pk=value, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown user “%(v)s”.") % {"v": value},
            code="manager_unknown",
            fields={"manager": str(value)},
        ) from None


# compiled once per connection (core.prepared) for up to this many products: what
# `in_bulk` reads (it splits longer lists into batches)
_FEW_PRODUCTS = 100
_PRODUCTS = Prepared(lambda keys: Product.objects.filter(pk__in=keys))


def resolve_products(values: list[Any]) -> list[Product]:
    """Products for the given keys in the same order, one query.

    Unknown -> `product_unknown`, inactive -> `product_inactive`, naming the line.
    """
    keys = []
    for i, v in enumerate(values):
        key = v.pk if isinstance(v, Product) else v
        try:
            keys.append(int(key))
        except (ValueError, TypeError):
            raise ValidationFailed(
                _("Unknown product “%(v)s”.") % {"v": key},
                code="product_unknown",
                fields={f"lines[{i}].product": str(key)},
            ) from None
    distinct = list(dict.fromkeys(keys))
    if len(distinct) <= _FEW_PRODUCTS:  # the statement in_bulk makes, compiled once
        found = {product.pk: product for product in _PRODUCTS.rows(distinct)}
    else:
        found = Product.objects.in_bulk(keys)
    result = []
    for i, key in enumerate(keys):
        product = found.get(key)
        if product is None:
            raise ValidationFailed(
                _("Unknown product “%(v)s”.") % {"v": key},
                code="product_unknown",
                fields={f"lines[{i}].product": key},
            )
        if not product.active:
            raise ValidationFailed(
                _("Product %(p)s is not active.") % {"p": product},
                code="product_inactive",
                fields={f"lines[{i}].product": key},
            )
        result.append(product)
    return result


def standard_terms(customer: Customer, contract: Contract | None) -> dict[str, Any]:
    """The header an order of `customer` starts with, from the contract and the customer.

    The price list is the contract's; a contract without one (or no contract) takes the list
    assigned to the customer's group."""
    values: dict[str, Any] = {
        "contract": contract,
        "currency": base_currency(),
        "price_list": None,
        "payment_terms": None,
        "payment_method": None,
        "delivery_method": None,
        "delivery_terms": "",
        "delivery_address": customer.delivery_address or customer.legal_address,
        "manager": customer.manager,
        "discount_percent": Decimal("0"),
    }
    if contract is not None:
        values.update(
            currency=contract.currency_id,
            price_list=contract.price_list,
            payment_terms=contract.payment_terms,
            payment_method=contract.payment_method,
            delivery_method=contract.delivery_method,
            delivery_terms=contract.delivery_terms,
        )
    if values["price_list"] is None:
        values["price_list"] = group_price_list(customer)
    return values


def comparable(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def terms_of(by) -> frozenset[str]:
    """The terms `by` may change (permissions.allowed_terms); inside a reference-data scope
    the rights matrix comes from the process cache (core.cache), so only the user's roles
    are read (once per request)."""
    known = getattr(by, "_orderdesk_terms", None)
    if known is not None or not cache.in_scope():
        return known if known is not None else allowed_terms(by)
    matrix = cache.cached("orders.term_rights", _rights_matrix)
    known = frozenset(t for role in roles_of(by) for t in matrix.get(role, ()))
    by._orderdesk_terms = known
    return known


def _rights_matrix() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for role, term in TermRight.objects.values_list("role", "term"):
        out.setdefault(role, set()).add(term)
    return {role: frozenset(terms) for role, terms in out.items()}


def check_term_rights(by, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Refuse (`term_change_forbidden`, 403) a change of a term the user has no right to: the
    commercial terms, the responsible manager (`manager` right) and the order-level discount
    (`discount` right). Every refused field is named; nothing is changed."""
    allowed = terms_of(by)
    refused = {
        name: jsonable(after[name])
        for name, term in HEADER_TERM.items()
        if name in after
        and comparable(before.get(name)) != comparable(after[name])
        and term not in allowed
    }
    if refused:
        raise PermissionRefused(
            _("You may not change: %(f)s.") % {"f": ", ".join(sorted(refused))},
            code="term_change_forbidden",
            fields=refused,
        )


def check_line_rights(by, *, index: int, price_changed: bool, discount_changed: bool) -> None:
    allowed = terms_of(by)
    refused = {}
    if price_changed and Term.PRICE not in allowed:
        refused[f"lines[{index}].unit_price"] = "price"
    if discount_changed and Term.DISCOUNT not in allowed:
        refused[f"lines[{index}].discount_percent"] = "discount"
    if refused:
        raise PermissionRefused(
            _("You may not change the price or the discount of a line."),
            code="term_change_forbidden",
            fields=refused,
        )


def order_rate(currency: str, on: dt.date) -> Decimal:
    currency_get(currency)
    return rate_for(currency, on)


def default_warehouse() -> Warehouse:
    """The first active warehouse (from the process cache inside a reference-data scope)."""
    warehouse = cache.cached(
        "catalog.default_warehouse",
        lambda: Warehouse.objects.filter(active=True).order_by("code").first(),
    )
    if warehouse is None:
        raise ValidationFailed(_("No active warehouse is set up."), code="warehouse_missing")
    return warehouse


def check_schedule(schedule, quantity: Decimal, index: int) -> list[tuple[dt.date, Decimal]]:
    entries = []
    seen = set()
    for j, (date, qty) in enumerate(schedule or []):
        qty = check_quantity(qty, f"lines[{index}].schedule[{j}].quantity")
        if date in seen:
            raise ValidationFailed(
                _("A date appears twice in the delivery schedule."),
                code="schedule_date_repeated",
                fields={f"lines[{index}].schedule[{j}].date": str(date)},
            )
        seen.add(date)
        entries.append((date, qty))
    if calc.schedule_excess(quantity, [q for _d, q in entries]) > 0:
        raise ValidationFailed(
            _("The delivery schedule adds up to more than the line quantity."),
            code="schedule_exceeds_quantity",
            fields={f"lines[{index}].schedule": "sum"},
        )
    return entries


# --- building lines and totals -----------------------------------------------------------------


def price_line(line: OrderLine, order: Order) -> None:
    amounts = calc.line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        vat_rate=line.vat_rate,
        currency=order.currency_id,
    )
    line.net_amount, line.vat_amount, line.gross_amount = amounts.net, amounts.vat, amounts.gross
    check_amount(line.gross_amount)


def check_amount(value: Decimal, field_name: str = "gross_amount") -> None:
    """An amount must fit its DECIMAL(18, 2) column (`amount_too_large`), else the database
    refuses it with an error instead of an answer."""
    if not calc.decimal_fits(value, max_digits=18, places=2):
        raise ValidationFailed(
            _("The amount %(a)s is too large.") % {"a": value},
            code="amount_too_large",
            fields={field_name: str(value)},
        )


def set_totals(order: Order, lines: list[OrderLine]) -> None:
    totals = calc.order_totals(
        calc.Amounts(li.net_amount, li.vat_amount, li.gross_amount) for li in lines
    )
    base = calc.to_base(
        totals, rate=order.exchange_rate, base_currency=settings.ORDERDESK["BASE_CURRENCY"]
    )
    order.net_amount, order.vat_amount, order.gross_amount = totals.net, totals.vat, totals.gross
    order.base_net_amount, order.base_vat_amount, order.base_gross_amount = (
        base.net,
        base.vat,
        base.gross,
    )
    check_amount(order.gross_amount)
    check_amount(order.base_gross_amount, "base_gross_amount")
    granted = pricing_calc.granted_discount(
        ((li.quantity, li.unit_price, li.auto_discount_percent, li.net_amount) for li in lines),
        order.currency_id,
    )
    order.base_granted_discount_amount = quantize(
        granted * order.exchange_rate, settings.ORDERDESK["BASE_CURRENCY"]
    )


COST = Decimal("0.0001")  # costs per unit: 4 places


def cost_in_base(
    product: Product, on: dt.date, field_name: str, rates: dict[str, Decimal] | None = None
) -> Decimal:
    """The product's cost per unit in base currency at the rate on `on` (a line keeps it as
    its cost at entry; a shipment, as its cost at shipment). `rates`: a dict the caller keeps
    across products, so each currency's rate is read once. Raises `exchange_rate_missing`
    when the cost currency has no rate."""
    code = product.cost_currency_id
    if code == base_currency() or not product.cost_price:
        return product.cost_price
    if rates is None or code not in rates:
        try:
            rate = rate_for(code, on)
        except ValidationFailed as exc:
            exc.fields = {field_name: str(product.pk), **(exc.fields or {})}
            raise
        if rates is not None:
            rates[code] = rate
    else:
        rate = rates[code]
    return (product.cost_price * rate).quantize(COST)


def build_lines(
    order: Order, inputs: list[LineInput], *, by, first_position: int = 1, index_offset: int = 0
) -> list[tuple[OrderLine, list]]:
    """Validate inputs and make unsaved lines with standard prices filled in, one query per kind."""
    checked = []
    for i, li in enumerate(inputs):
        idx = i + index_offset
        qty = check_quantity(li.quantity, f"lines[{idx}].quantity")
        price = (
            None
            if li.unit_price in (None, "")
            else check_price(li.unit_price, f"lines[{idx}].unit_price")
        )
        discount = (
            Decimal(0)
            if li.discount_percent in (None, "")
            else check_discount(li.discount_percent, f"lines[{idx}].discount_percent")
        )
        schedule = check_schedule(li.schedule, qty, idx)
        checked.append((li, qty, price, discount, schedule))
    products = resolve_products([li.product for li in inputs])
    quantities: dict[int, Decimal] = {}
    for product, (_li, qty, *_rest) in zip(products, checked, strict=True):
        quantities[product.pk] = quantities.get(product.pk, Decimal(0)) + qty
    quotes = quote_prices(
        price_list=order.price_list,
        products=set(products),
        quantities=quantities,
        on=order.order_date,
        currency=order.currency_id,
        order_rate=order.exchange_rate,
        contract=order.contract,
    )
    result = []
    for i, (li, qty, price, discount, schedule) in enumerate(checked):
        idx = i + index_offset
        product = products[i]
        quote = quotes.get(product.pk)
        if price is None and quote is None:
            raise ValidationFailed(
                _("No price for %(p)s in the order's price list; enter a price.") % {"p": product},
                code="price_not_found",
                fields={f"lines[{idx}].unit_price": None},
            )
        check_line_rights(
            by,
            index=idx,
            price_changed=price is not None and (quote is None or price != quote.price),
            discount_changed=discount != 0,
        )
        line = OrderLine(
            order=order,
            position=first_position + i,
            product=product,
            description=product.name,
            unit=product.unit,
            quantity=qty,
            unit_price=price if price is not None else quote.price,
            list_price=quote.price if quote else None,
            price_origin=(
                quote.origin
                if quote and (price is None or price == quote.price)
                else price_sources.MANUAL
            ),
            manual_discount_percent=discount,
            discount_percent=discount,
            vat_rate=product.vat_rate,
            cost_price=cost_in_base(product, order.order_date, f"lines[{idx}].product"),
            requested_delivery_date=li.requested_delivery_date,
        )
        price_line(line, order)
        result.append((line, schedule))
    return result


# --- discounts -----------------------------------------------------------------------------------


def _kept_auto(line: OrderLine) -> pricing_calc.AutoDiscount:
    """The automatic discount a line already has, as it was explained when it was given."""
    parts = tuple(
        pricing_calc.PolicyPart(
            p.get("code", ""),
            p.get("name", ""),
            Decimal(p.get("percent", "0")),
            p.get("stacking", ""),
            bool(p.get("applied")),
        )
        for p in (line.discount_breakdown or {}).get("auto", [])
    )
    return pricing_calc.AutoDiscount(line.auto_discount_percent, parts)


def apply_discounts(
    order: Order, lines: list[OrderLine], *, fresh: list[OrderLine] | None = None
) -> None:
    """Give lines their automatic discount (the policies valid on the order date), combine it
    with the line's manual and the order's discount, and recalculate every line.

    `fresh`: the lines whose automatic discount is evaluated anew (None: all); the others keep
    theirs (a confirmed order's untouched lines). One query for the policies, one for the
    product groups when a policy names a group. The order amount that amount tiers read is
    the order's lines before discounts, in the base currency.
    """
    if not lines:
        return
    evaluate = {id(line) for line in (lines if fresh is None else fresh)}
    rules = discount_rules(order.order_date) if evaluate else []
    lineage: dict[int, frozenset[int]] = {}
    if any(r.product_group_id is not None for r in rules):
        lineage = product_group_lineage({line.product.group_id for line in lines})
    amount = sum(
        (
            pricing_calc.line_list_amount(li.quantity, li.unit_price, order.currency_id)
            for li in lines
        ),
        Decimal(0),
    )
    amount_base = quantize(amount * order.exchange_rate, settings.ORDERDESK["BASE_CURRENCY"])
    customer_group = order.customer.group_id
    for line in lines:
        auto = pricing_calc.NO_AUTO
        if id(line) not in evaluate:
            auto = _kept_auto(line)
        elif rules:
            auto = pricing_calc.auto_discount(
                rules,
                customer_group_id=customer_group,
                product_group_ids=lineage.get(line.product.group_id, frozenset()),
                quantity=line.quantity,
                order_amount=amount_base,
            )
        line.auto_discount_percent = auto.percent
        line.discount_percent = pricing_calc.combine_discounts(
            auto.percent, line.manual_discount_percent, order.discount_percent
        )
        line.discount_breakdown = {
            "auto": [
                {
                    "code": p.code,
                    "name": p.name,
                    "percent": explain.pct(p.percent),
                    "stacking": p.stacking,
                    "applied": p.applied,
                }
                for p in auto.parts
            ],
            "auto_percent": explain.pct(auto.percent),
            "manual_percent": explain.pct(line.manual_discount_percent),
            "order_percent": explain.pct(order.discount_percent),
            "total_percent": explain.pct(line.discount_percent),
        }
        price_line(line, order)


def save_lines(built: list[tuple[OrderLine, list]]) -> list[OrderLine]:
    lines = OrderLine.objects.bulk_create([line for line, _s in built])
    entries = [
        DeliveryScheduleEntry(line=line, date=date, quantity=qty)
        for line, (_l, schedule) in zip(lines, built, strict=True)
        for date, qty in schedule
    ]
    if entries:
        DeliveryScheduleEntry.objects.bulk_create(entries)
    for line, (_l, schedule) in zip(lines, built, strict=True):
        line._schedule = schedule
        line.created_schedule = sorted((e for e in entries if e.line is line), key=lambda e: e.date)
    return lines


def known_related(instance: models.Model, name: str, objects: list) -> None:
    """Tell Django the related objects `instance.<name>.all()` holds, as a prefetch would:
    a caller that has just written them (the API answering order_create with the lines and
    their schedules) reads them back from memory instead of the database. Only for an
    instance used at once: later changes made through other instances are not seen."""
    qs = getattr(instance, name).all()
    qs._result_cache = list(objects)
    qs._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[getattr(instance, name).field.remote_field.cache_name] = qs


def line_snapshot(line: OrderLine) -> dict[str, Any]:
    data = {name: jsonable(getattr(line, name)) for name in LINE_SNAPSHOT}
    schedule = getattr(line, "_schedule", None)
    if schedule is None and line.pk:
        schedule = [(e.date, e.quantity) for e in line.schedule.all()]
    data["schedule"] = [f"{d.isoformat()}: {format(q, 'f')}" for d, q in (schedule or [])]
    return data
