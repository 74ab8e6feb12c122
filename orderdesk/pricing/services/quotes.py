"""Price look-up and contract choice: the standard an order starts from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from orderdesk.catalog.models import Product
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.services import rate_for
from orderdesk.customers.models import Customer

from ..models import Contract, PriceList, PriceListItem

PRICE_EXP = Decimal("0.0001")


@dataclass(frozen=True)
class PriceQuote:
    """The standard net price of a product for an order, and where it came from."""

    price: Decimal
    source: str


def contract_for_order(
    *, customer: Customer, contract: Contract | int | None, on: dt.date
) -> Contract | None:
    """The contract an order of `customer` on `on` runs under.

    Given one, it must be the customer's, active and valid on the date (`contract_wrong_customer`,
    `contract_inactive`, `contract_not_valid`); otherwise the customer's default contract if it
    is valid then, else None.
    """
    if contract is None:
        default = (
            Contract.objects.select_related("price_list", "currency")
            .filter(customer=customer, is_default=True, active=True)
            .first()
        )
        return default if default and default.valid_on(on) else None
    if not isinstance(contract, Contract):
        try:
            contract = Contract.objects.select_related("price_list").get(pk=contract)
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


def quote_prices(
    *,
    price_list: PriceList | None,
    products: Iterable[Product],
    quantities: dict[int, Decimal],
    on: dt.date,
    currency: str,
    order_rate: Decimal,
) -> dict[int, PriceQuote]:
    """Standard net prices in the order currency, one query for all products.

    The item valid on `on` with the largest quantity break not above the line quantity wins;
    between equal breaks the later `valid_from`. A list in another currency converts through
    both currencies' rates on the order date; VAT-inclusive lists are brought to net.
    """
    products = list(products)
    if price_list is None or not products:
        return {}
    by_id = {p.pk: p for p in products}
    items = (
        PriceListItem.objects.filter(
            price_list=price_list, product_id__in=by_id, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("product_id", "-min_quantity", "-valid_from")
        .values_list("product_id", "price", "min_quantity", "valid_from")
    )
    list_rate = None
    quotes: dict[int, PriceQuote] = {}
    for product_id, price, min_quantity, valid_from in items:
        if product_id in quotes or min_quantity > quantities.get(product_id, Decimal(0)):
            continue
        if price_list.currency_id != currency:
            if list_rate is None:
                list_rate = rate_for(price_list.currency_id, on)
            price = (price * list_rate / order_rate).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
        if price_list.prices_include_vat:
            vat = by_id[product_id].vat_rate
            price = (price * 100 / (100 + vat)).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
        source = _("list %(name)s from %(date)s") % {
            "name": price_list.name,
            "date": valid_from.isoformat(),
        }
        if min_quantity > 0:
            source += " " + _("(from %(q)s)") % {"q": format(min_quantity.normalize(), "f")}
        quotes[product_id] = PriceQuote(price=price, source=source)
    return quotes
