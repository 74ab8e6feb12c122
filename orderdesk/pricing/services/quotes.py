"""Price look-up and contract choice: the standard an order starts from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q, QuerySet, Value
from django.utils.translation import gettext as _

from orderdesk.catalog.models import Product
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.prepared import Prepared, as_first
from orderdesk.core.services import rate_for
from orderdesk.customers.models import Customer

from .. import calculations as calc
from .. import sources
from ..choices import PriceListKind
from ..models import Contract, ContractPrice, PriceList, PriceListItem

PRICE_EXP = Decimal("0.0001")
ZERO_RATE = Decimal(0)


@dataclass(frozen=True)
class PriceQuote:
    """The standard net price of a product for an order, and where it came from.

    `kind`: "contract" (an individual contract price), "list" (an item of the list),
    "derived" (computed from the base list), "cost_plus" (computed from the cost)."""

    price: Decimal
    origin: dict  # pricing.sources: where the price came from, as data
    kind: str = "list"
    valid_from: dt.date | None = None

    @property
    def source(self) -> str:
        """The origin for people, in the active language."""
        return sources.text(self.origin)


# what an order's header takes from its contract, read with it (no lazy look-up per term)
CONTRACT_TERMS_RELATED = (
    "price_list",
    "currency",
    "payment_terms",
    "payment_method",
    "delivery_method",
)


# compiled once per connection (core.prepared): the customer's default contract, as `first()`
_DEFAULT_CONTRACT = Prepared(
    lambda customer_id: as_first(
        Contract.objects.select_related(*CONTRACT_TERMS_RELATED).filter(
            customer=customer_id, is_default=True, active=True
        )
    )
)


def contract_for_order(
    *, customer: Customer, contract: Contract | int | None, on: dt.date
) -> Contract | None:
    """The contract an order of `customer` on `on` runs under.

    Given one, it must be the customer's, active and valid on the date (`contract_wrong_customer`,
    `contract_inactive`, `contract_not_valid`); otherwise the customer's default contract if it
    is valid then, else None.
    """
    if contract is None:
        rows = _DEFAULT_CONTRACT.rows(customer if customer.pk is None else customer.pk)
        default = rows[0] if rows else None
        return default if default and default.valid_on(on) else None
    if not isinstance(contract, Contract):
        try:
            contract = Contract.objects.select_related(*CONTRACT_TERMS_RELATED).get(pk=contract)
        except (Contract.DoesNotExist, ValueError, TypeError):
            raise ValidationFailed(
                _("Unknown contract %(c)s.") % {"c": contract},
                code="contract_unknown",
                fields={"contract": contract},
            ) from None
    if contract.customer_id != customer.pk:
        raise ValidationFailed(
            _("Contract %(c)s belongs to another customer.") % {"c": contract.number},
            code="contract_wrong_customer",
            fields={"contract": contract.pk},
        )
    if not contract.active:
        raise ValidationFailed(
            _("Contract %(c)s is not active.") % {"c": contract.number},
            code="contract_inactive",
            fields={"contract": contract.pk},
        )
    if not contract.valid_on(on):
        raise ValidationFailed(
            _("Contract %(c)s is not valid on %(d)s.")
            % {"c": contract.number, "d": on.isoformat()},
            code="contract_not_valid",
            fields={"contract": contract.pk},
        )
    return contract


def group_price_list(customer: Customer) -> PriceList | None:
    """The active price list assigned to the customer's group (the first by code if several):
    the list an order uses when its contract names none."""
    if customer.group_id is None:
        return None
    return (
        PriceList.objects.filter(customer_groups=customer.group_id, active=True)
        .order_by("code")
        .first()
    )


class _Rates:
    """Rates of the order date, each currency looked up once."""

    def __init__(self, on: dt.date, currency: str | None = None, order_rate: Decimal = ZERO_RATE):
        self.on = on
        self.known = {currency: order_rate} if currency else {}

    def __call__(self, code: str) -> Decimal:
        if code not in self.known:
            self.known[code] = rate_for(code, self.on)
        return self.known[code]


def _valid_on(on: dt.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def _item_rows(price_list_id: int, ids) -> QuerySet:
    return PriceListItem.objects.filter(price_list_id=price_list_id, product_id__in=ids)


def _pick_best(rows, quantities) -> dict[int, tuple]:
    """From (product_id, price, min_quantity, valid_from) rows: the largest break not above
    each product's quantity, between equal breaks the later start."""
    best: dict[int, tuple] = {}
    for product_id, price, min_quantity, valid_from in sorted(
        rows, key=lambda r: (r[0], -r[2], -r[3].toordinal())
    ):
        if product_id in best or min_quantity > quantities.get(product_id, Decimal(0)):
            continue
        best[product_id] = (price, min_quantity, valid_from)
    return best


def _best_items(price_list_id: int, ids, quantities, on) -> dict[int, tuple]:
    """The item of each product valid on `on` with the largest break not above its quantity
    (between equal breaks the later start): {product_id: (price, min_quantity, valid_from)}."""
    items = (
        _item_rows(price_list_id, ids)
        .filter(_valid_on(on))
        .values_list("product_id", "price", "min_quantity", "valid_from")
    )
    return _pick_best(items, quantities)


def _union_of_prices(contract_id: int, price_list_id: int, ids, on: dt.date) -> QuerySet:
    """The contract's prices and the list's items valid on `on` for `ids`, one UNION ALL:
    (product_id, price, valid_from, min_quantity, src) rows, src 1 for the contract's."""
    quantity = PriceListItem._meta.get_field("min_quantity")
    items = (
        _item_rows(price_list_id, ids)
        .filter(_valid_on(on))
        .order_by()
        .annotate(mq=F("min_quantity"), src=Value(0))
        .values_list("product_id", "price", "valid_from", "mq", "src")
    )
    prices = (
        ContractPrice.objects.filter(contract_id=contract_id, product_id__in=ids)
        .filter(_valid_on(on))
        .order_by()
        .annotate(mq=Value(Decimal(0), output_field=quantity.clone()), src=Value(1))
        .values_list("product_id", "price", "valid_from", "mq", "src")
    )
    return items.union(prices, all=True).order_by()


# compiled once per connection and number of products (core.prepared)
_UNION_OF_PRICES = Prepared(_union_of_prices, arity=4)


def _contract_prices_and_items(contract: Contract, price_list_id: int, ids, on) -> tuple:
    """The contract's prices and the list's own items valid on `on`, for `ids`, in one query
    (UNION ALL): ([(product_id, price, valid_from)], [(product_id, price, min_quantity,
    valid_from)]). The items of products the contract prices are read too, and not used."""
    contract_rows, item_rows = [], []
    for product_id, price, valid_from, min_quantity, src in _UNION_OF_PRICES.rows(
        contract.pk, price_list_id, list(ids), on
    ):
        if src:
            contract_rows.append((product_id, price, valid_from))
        else:
            item_rows.append((product_id, price, min_quantity, valid_from))
    contract_rows.sort(key=lambda r: (r[0], -r[2].toordinal()))
    return contract_rows, item_rows


def _list_quotes(
    price_list, products, quantities, on, rates, own: dict[int, tuple] | None = None
) -> dict[int, PriceQuote]:
    """Prices of `products` in `price_list`, in the list's currency as stored (VAT as the list
    says): own items first (`own`: already read, by `_pick_best`), then the derived or
    cost-plus price. One query per kind."""
    ids = [p.pk for p in products]
    if own is None:
        own = _best_items(price_list.pk, ids, quantities, on)
    out: dict[int, PriceQuote] = {}
    wanted = set(ids)
    for product_id, (price, min_quantity, valid_from) in own.items():
        if product_id not in wanted:
            continue
        origin = sources.item(price_list.name, valid_from, min_quantity)
        out[product_id] = PriceQuote(price, origin, "list", valid_from)
    rest = [p for p in products if p.pk not in out]
    if not rest:
        return out
    adjust = format(price_list.percent.normalize(), "+f")
    if price_list.kind == PriceListKind.DERIVED and price_list.base_list_id:
        base = price_list.base_list
        factor_from, factor_to = rates(base.currency_id), rates(price_list.currency_id)
        for product_id, (price, min_quantity, valid_from) in _best_items(
            base.pk, [p.pk for p in rest], quantities, on
        ).items():
            price = calc.convert(price, from_rate=factor_from, to_rate=factor_to)
            price = calc.derived_price(price, percent=price_list.percent, rule=price_list.rounding)
            origin = sources.derived(
                sources.item(price_list.name, valid_from, min_quantity), base.name, adjust
            )
            out[product_id] = PriceQuote(price, origin, "derived", valid_from)
    elif price_list.kind == PriceListKind.COST_PLUS:
        to_rate = rates(price_list.currency_id)
        for product in rest:
            if product.cost_price <= 0:
                continue  # no cost, no cost-plus price
            cost = calc.convert(
                product.cost_price, from_rate=rates(product.cost_currency_id), to_rate=to_rate
            )
            price = calc.cost_plus_price(cost, markup=price_list.percent, rule=price_list.rounding)
            origin = sources.cost_plus(price_list.name, cost, adjust)
            out[product.pk] = PriceQuote(price, origin, "cost_plus", None)
    return out


def quote_prices(
    *,
    price_list: PriceList | None,
    products: Iterable[Product],
    quantities: dict[int, Decimal],
    on: dt.date,
    currency: str,
    order_rate: Decimal,
    contract: Contract | None = None,
) -> dict[int, PriceQuote]:
    """Standard net prices in the order currency, one query per kind for all products.

    Precedence: the contract's individual price valid on `on` (regardless of quantity); then
    the price list: its own item valid on `on` with the largest quantity break not above the
    quantity (between equal breaks the later `valid_from`), else for a derived list the base
    list's item +/- the list's percent, rounded, and for a cost-plus list the product's cost
    plus the markup, rounded. A price in another currency converts through both currencies'
    rates on the order date; VAT-inclusive lists are brought to net. Each quote names its
    source ("contract 15/2026, individual price", "list Wholesale from 2026-11-01").
    """
    products = list(products)
    if not products or (price_list is None and contract is None):
        return {}
    by_id = {p.pk: p for p in products}
    rates = _Rates(on, currency, order_rate)
    quotes: dict[int, PriceQuote] = {}
    own = None
    if contract is not None and contract.pk is not None:
        if price_list is not None:
            # the contract's prices and the list's own items in one statement
            rows, items = _contract_prices_and_items(contract, price_list.pk, list(by_id), on)
            own = _pick_best(items, quantities)
        else:
            rows = (
                ContractPrice.objects.filter(contract=contract, product_id__in=by_id)
                .filter(_valid_on(on))
                .order_by("product_id", "-valid_from")
                .values_list("product_id", "price", "valid_from")
            )
        origin = sources.contract(contract.number)
        for product_id, price, valid_from in rows:
            if product_id in quotes:
                continue
            if contract.currency_id != currency:
                price = calc.convert(
                    price, from_rate=rates(contract.currency_id), to_rate=order_rate
                )
            quotes[product_id] = PriceQuote(price, origin, "contract", valid_from)
    rest = [p for p in products if p.pk not in quotes]
    if price_list is None or not rest:
        return quotes
    for product_id, quote in _list_quotes(price_list, rest, quantities, on, rates, own).items():
        price = quote.price
        if price_list.currency_id != currency:
            price = calc.convert(price, from_rate=rates(price_list.currency_id), to_rate=order_rate)
        if price_list.prices_include_vat:
            vat = by_id[product_id].vat_rate
            price = (price * 100 / (100 + vat)).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
        quotes[product_id] = PriceQuote(price, quote.origin, quote.kind, quote.valid_from)
    return quotes


@dataclass(frozen=True)
class ProductPrice:
    """One row of a product's "prices today": a list item (with its quantity break), a price
    a derived or cost-plus list computes, or a contract's individual price."""

    where: str  # the list's or contract's name
    kind: str  # "list", "derived", "cost_plus", "contract"
    min_quantity: Decimal
    price: Decimal | None  # None: the list cannot compute it (no rate, no cost, no base item)
    currency: str
    includes_vat: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    price_list_id: int | None = None
    contract_id: int | None = None


def product_prices_today(
    *, product: Product, on: dt.date, contracts: Iterable[Contract] = ()
) -> list[ProductPrice]:
    """Every price of `product` valid on `on`: the items of each active list (every quantity
    break), the price each derived or cost-plus list computes where it has no own item (for
    quantity 1, through today's rates), and the individual prices of `contracts` (the caller
    passes the contracts the user may see)."""
    rows: list[ProductPrice] = []
    items = (
        PriceListItem.objects.filter(product=product, price_list__active=True, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("price_list")
        .order_by("price_list__name", "min_quantity", "-valid_from")
    )
    with_items = set()
    for item in items:
        pl = item.price_list
        with_items.add(pl.pk)
        rows.append(
            ProductPrice(
                pl.name,
                "list",
                item.min_quantity,
                item.price,
                pl.currency_id,
                pl.prices_include_vat,
                item.valid_from,
                item.valid_to,
                sources.text(sources.item(pl.name, item.valid_from, item.min_quantity)),
                price_list_id=pl.pk,
            )
        )
    computed = (
        PriceList.objects.filter(
            active=True, kind__in=[PriceListKind.DERIVED, PriceListKind.COST_PLUS]
        )
        .exclude(pk__in=with_items)
        .select_related("base_list")
        .order_by("name")
    )
    for pl in computed:
        try:
            quote = _list_quotes(pl, [product], {product.pk: Decimal(1)}, on, _Rates(on))
        except ValidationFailed:  # a currency without a rate today
            quote = {}
        found = quote.get(product.pk)
        rows.append(
            ProductPrice(
                pl.name,
                pl.kind,
                Decimal(0),
                found.price if found else None,
                pl.currency_id,
                pl.prices_include_vat,
                found.valid_from if found else None,
                None,
                found.source if found else "",
                price_list_id=pl.pk,
            )
        )
    prices = (
        ContractPrice.objects.filter(
            product=product, contract__in=list(contracts), valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("contract__customer")
        .order_by("contract__customer__short_name", "contract__number", "-valid_from")
    )
    seen = set()
    for cp in prices:
        if cp.contract_id in seen:
            continue  # the latest start wins, as on an order
        seen.add(cp.contract_id)
        name = f"{cp.contract.customer.short_name}, {cp.contract.number}"
        source = sources.text(sources.contract(cp.contract.number))
        rows.append(
            ProductPrice(
                name,
                "contract",
                Decimal(0),
                cp.price,
                cp.contract.currency_id,
                False,
                cp.valid_from,
                cp.valid_to,
                source,
                contract_id=cp.contract_id,
            )
        )
    return rows
