"""Price lists and their prices. Administrator only; a price's history is in its list's
stream, and the list row is locked while a price is checked for overlaps and written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import diff, jsonable, record, snapshot, stream_of
from orderdesk.catalog.models import Product
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.models import Currency
from orderdesk.core.money import to_decimal
from orderdesk.core.services import base_currency, currency_get, rate_for
from orderdesk.customers.services.checks import (
    apply_changes,
    clean_text,
    code_taken,
    require_admin,
    save_unique,
)

from ..choices import PriceListKind, Rounding
from ..models import PriceList, PriceListItem
from ..selectors import overlapping_prices

PRICE_LIST_FIELDS = [
    "code",
    "name",
    "currency",
    "prices_include_vat",
    "active",
    "kind",
    "base_list",
    "percent",
    "rounding",
]
ITEM_FIELDS = ["product", "price", "min_quantity", "valid_from", "valid_to"]


def _price_list_snapshot(price_list: PriceList) -> dict:
    out = snapshot(price_list, PRICE_LIST_FIELDS)
    out["customer_groups"] = sorted(g.code for g in price_list.customer_groups.all())
    return out


@atomic_with_retry
def price_list_save(
    *, by, price_list: PriceList | None = None, customer_groups=None, **values
) -> PriceList:
    """Create (price_list=None) or change a price list; administrator only.

    Raises `master_data_forbidden`, `code_required`, `name_required`, `code_taken`,
    `currency_unknown`, `exchange_rate_missing` (a foreign currency without any rate yet),
    `unknown_field`, and the kind checks of _check_list_kind.
    """
    require_admin(by)
    if price_list is None:
        price_list, before, verb = PriceList(), {}, "created"
        values.setdefault("currency", "")
    else:
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        before, verb = _price_list_snapshot(price_list), "changed"
    if "currency" in values:
        value = values.pop("currency")
        code = value.code if isinstance(value, Currency) else (value or "")
        price_list.currency = currency_get(code)
    if values.get("base_list") not in (None, "") and not isinstance(values["base_list"], PriceList):
        values["base_list"] = _price_list_ref(values["base_list"])
    apply_changes(price_list, values, PRICE_LIST_FIELDS)
    clean_text(price_list, ["code", "name"], required=("code", "name"))
    _check_list_kind(price_list)
    if price_list.currency_id != base_currency():
        rate_for(price_list.currency_id, timezone.localdate())  # `exchange_rate_missing`
    if PriceList.objects.filter(code=price_list.code).exclude(pk=price_list.pk).exists():
        raise code_taken(price_list.code)
    save_unique(price_list, code_taken(price_list.code))
    if customer_groups is not None:
        price_list.customer_groups.set(customer_groups)
    delta = diff(before, _price_list_snapshot(price_list))
    if delta:
        record(action=f"pricing.pricelist.{verb}", obj=price_list, by=by, changes=delta)
    return price_list


def _price_list_ref(value) -> PriceList:
    try:
        return PriceList.objects.get(pk=value)
    except (PriceList.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown price list “%(v)s”.") % {"v": value},
            code="base_list_unknown",
            fields={"base_list": str(value)},
        ) from None


def _check_list_kind(price_list: PriceList) -> None:
    """Raises `price_list_kind_invalid`, `rounding_invalid`, `percent_out_of_range` (at or
    below -100 %, or more than 2 decimals), `base_list_required` (a derived list),
    `base_list_cycle` (derived from itself), `base_list_not_plain` (the base must hold its own
    prices: one level of derivation), `base_list_in_use` (a list others derive from must keep
    its own prices)."""
    if price_list.kind not in PriceListKind.values:
        raise ValidationFailed(
            _("Unknown kind of price list “%(v)s”.") % {"v": price_list.kind},
            code="price_list_kind_invalid",
            fields={"kind": str(price_list.kind)},
        )
    if price_list.rounding not in Rounding.values:
        raise ValidationFailed(
            _("Unknown rounding “%(v)s”.") % {"v": price_list.rounding},
            code="rounding_invalid",
            fields={"rounding": str(price_list.rounding)},
        )
    try:
        percent = to_decimal(price_list.percent if price_list.percent is not None else 0)
    except (TypeError, ValueError):
        percent = None
    if (
        percent is None
        or percent <= -100
        or percent != percent.quantize(Decimal("0.01"))
        or (abs(percent) >= Decimal("100000"))
    ):
        raise ValidationFailed(
            _("The adjustment must be above -100 % with at most two decimals."),
            code="percent_out_of_range",
            fields={"percent": str(price_list.percent)},
        )
    price_list.percent = percent
    if price_list.kind != PriceListKind.DERIVED:
        price_list.base_list = None
    else:
        base = price_list.base_list
        if base is None:
            raise ValidationFailed(
                _("A derived list needs the list it derives from."),
                code="base_list_required",
                fields={"base_list": None},
            )
        if price_list.pk is not None and base.pk == price_list.pk:
            raise ValidationFailed(
                _("A list cannot derive from itself."),
                code="base_list_cycle",
                fields={"base_list": base.pk},
            )
        if base.kind != PriceListKind.ITEMS:
            raise ValidationFailed(
                _("“%(b)s” is computed itself; derive from a list with its own prices.")
                % {"b": base},
                code="base_list_not_plain",
                fields={"base_list": base.pk},
            )
    if (
        price_list.pk is not None
        and price_list.kind != PriceListKind.ITEMS
        and PriceList.objects.filter(base_list=price_list).exists()
    ):
        raise ValidationFailed(
            _("Other lists derive from this one: it must keep its own prices."),
            code="base_list_in_use",
            fields={"kind": price_list.kind},
        )


def _check_item(item: PriceListItem) -> None:
    """Raises `price_negative`, `min_quantity_negative`, `price_period_invalid`,
    `price_period_overlap` (another price of the product for the same quantity break in this
    list is valid on some of the same days)."""
    if item.price is None or item.price < 0:
        raise ValidationFailed(
            _("A price cannot be negative."),
            code="price_negative",
            fields={"price": jsonable(item.price)},
        )
    if item.min_quantity is None or item.min_quantity < 0:
        raise ValidationFailed(
            _("The quantity break cannot be negative."),
            code="min_quantity_negative",
            fields={"min_quantity": jsonable(item.min_quantity)},
        )
    if item.valid_from is None or (item.valid_to is not None and item.valid_to < item.valid_from):
        raise ValidationFailed(
            _("A price's validity must start on or before its end."),
            code="price_period_invalid",
            fields={"valid_from": jsonable(item.valid_from), "valid_to": jsonable(item.valid_to)},
        )
    clash = overlapping_prices(
        price_list_id=item.price_list_id,
        product_id=item.product_id,
        min_quantity=item.min_quantity,
        valid_from=item.valid_from,
        valid_to=item.valid_to,
        exclude_pk=item.pk,
    ).first()
    if clash is not None:
        raise ValidationFailed(
            _("Another price of this product from this quantity is valid from %(f)s to %(t)s.")
            % {"f": clash.valid_from.isoformat(), "t": jsonable(clash.valid_to) or "…"},
            code="price_period_overlap",
            fields={"valid_from": jsonable(item.valid_from), "conflicts_with": clash.pk},
        )


def _lock_price_list(by, price_list: PriceList) -> PriceList:
    require_admin(by)
    return PriceList.objects.select_for_update().get(pk=price_list.pk)


@atomic_with_retry
def price_item_add(
    *,
    by,
    price_list: PriceList,
    product: Product,
    price: Decimal,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    min_quantity: Decimal = Decimal("0"),
) -> PriceListItem:
    """Add a price to a list (administrator); checks in _check_item."""
    price_list = _lock_price_list(by, price_list)
    item = PriceListItem(
        price_list=price_list,
        product=product,
        price=price,
        min_quantity=min_quantity,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    _check_item(item)
    item.save()
    record(
        action="pricing.price.added",
        obj=item,
        by=by,
        stream=stream_of(price_list),
        changes=diff({}, snapshot(item, ITEM_FIELDS)),
    )
    return item


@atomic_with_retry
def price_item_update(*, by, item: PriceListItem, **changes) -> PriceListItem:
    """Change a price or its validity (administrator); e.g. end an old price before a new one."""
    price_list = _lock_price_list(by, item.price_list)
    item = PriceListItem.objects.select_related("product").get(pk=item.pk, price_list=price_list)
    before = snapshot(item, ITEM_FIELDS)
    apply_changes(item, changes, ITEM_FIELDS)
    _check_item(item)
    item.save()
    delta = diff(before, snapshot(item, ITEM_FIELDS))
    if delta:
        record(
            action="pricing.price.changed",
            obj=item,
            by=by,
            stream=stream_of(price_list),
            changes=delta,
        )
    return item


@atomic_with_retry
def price_item_remove(*, by, item: PriceListItem) -> None:
    """Remove a price (administrator); orders keep the prices they copied."""
    price_list = _lock_price_list(by, item.price_list)
    item = PriceListItem.objects.select_related("product").get(pk=item.pk, price_list=price_list)
    gone = {k: {"from": v, "to": None} for k, v in snapshot(item, ITEM_FIELDS).items()}
    record(
        action="pricing.price.removed",
        obj=item,
        by=by,
        stream=stream_of(price_list),
        changes=gone,
    )
    item.delete()


def price_list_create(
    *, by, code: str, name: str, currency: str | Currency, customer_groups=(), **values
) -> PriceList:
    """A new price list (administrator); errors as in price_list_save."""
    return price_list_save(
        by=by, code=code, name=name, currency=currency, customer_groups=customer_groups, **values
    )


def price_list_update(*, by, price_list: PriceList, customer_groups=None, **changes) -> PriceList:
    """Change a price list's header or its customer groups (administrator)."""
    return price_list_save(by=by, price_list=price_list, customer_groups=customer_groups, **changes)
