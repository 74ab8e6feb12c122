"""Contracts (договори): the standard terms a customer's orders start from. Writes lock the
customer row (the stream root) and record history in the customer's stream."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, diff, jsonable, record_many, snapshot, stream_of
from orderdesk.catalog.models import Product
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.models import Currency
from orderdesk.core.money import to_decimal
from orderdesk.core.services import base_currency, currency_get
from orderdesk.customers.models import Customer, DeliveryMethod, PaymentMethod, PaymentTerms
from orderdesk.customers.selectors import can_edit_contracts
from orderdesk.customers.services.checks import apply_changes, clean_text

from ..models import Contract, ContractPrice, PriceList

CONTRACT_FIELDS = [
    "number",
    "date",
    "valid_from",
    "valid_to",
    "currency",
    "price_list",
    "payment_terms",
    "payment_method",
    "delivery_method",
    "delivery_terms",
    "max_manual_discount",
    "is_default",
    "active",
]
CONTRACT_REFERENCES = ["price_list", "payment_terms", "payment_method", "delivery_method"]


def _lock_customer_for_contracts(by, customer: Customer) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if by is not None and not can_edit_contracts(by, customer):
        raise PermissionRefused(
            _("You may not change the contracts of this customer."),
            code="contract_edit_forbidden",
        )
    return customer


def _check_contract(contract: Contract, changed: set[str]) -> None:
    """Raises `number_required`, `contract_period_invalid`, `max_discount_out_of_range`,
    `currency_unknown`, `<reference>_inactive`, `contract_number_taken`,
    `contract_default_inactive`."""
    clean_text(contract, ["number", "delivery_terms"], required=("number",))
    if (
        contract.date is None
        or contract.valid_from is None
        or (contract.valid_to is not None and contract.valid_to < contract.valid_from)
    ):
        raise ValidationFailed(
            _("The contract's validity must start on or before its end."),
            code="contract_period_invalid",
            fields={
                "valid_from": jsonable(contract.valid_from),
                "valid_to": jsonable(contract.valid_to),
            },
        )
    if not (Decimal(0) <= contract.max_manual_discount <= Decimal(100)):
        raise ValidationFailed(
            _("The maximum manual discount must be between 0 and 100 %."),
            code="max_discount_out_of_range",
            fields={"max_manual_discount": jsonable(contract.max_manual_discount)},
        )
    if "currency" in changed:
        code = contract.currency_id if contract.currency_id else ""
        contract.currency = currency_get(code)
    for name in CONTRACT_REFERENCES:
        ref = getattr(contract, name)
        if name in changed and ref is not None and not ref.active:
            raise ValidationFailed(
                _("“%(v)s” is not active.") % {"v": ref},
                code=f"{name}_inactive",
                fields={name: ref.pk},
            )
    if contract.payment_terms_id is None or contract.payment_method_id is None:
        missing = "payment_terms" if contract.payment_terms_id is None else "payment_method"
        raise ValidationFailed(
            _("Choose the payment terms and the payment method."),
            code=f"{missing}_required",
            fields={missing: None},
        )
    if contract.is_default and not contract.active:
        raise ValidationFailed(
            _("An inactive contract cannot be the default one."),
            code="contract_default_inactive",
            fields={"is_default": True},
        )
    taken = Contract.objects.filter(customer_id=contract.customer_id, number=contract.number)
    if taken.exclude(pk=contract.pk).exists():
        raise ValidationFailed(
            _("The customer already has a contract number %(n)s.") % {"n": contract.number},
            code="contract_number_taken",
            fields={"number": contract.number},
        )


def _save_contract(contract: Contract, before: dict, action: str, by) -> Contract:
    """Move the default here (unsetting the old one first: the database allows one), save,
    record both in the customer's stream."""
    entries = []
    if contract.is_default:
        old = list(
            Contract.objects.filter(customer_id=contract.customer_id, is_default=True).exclude(
                pk=contract.pk
            )
        )
        Contract.objects.filter(pk__in=[c.pk for c in old]).update(is_default=False)
        entries += [
            Entry("pricing.contract.changed", c, {"is_default": {"from": True, "to": False}})
            for c in old
        ]
    contract.save()
    delta = diff(before, snapshot(contract, CONTRACT_FIELDS))
    if delta:
        entries.insert(0, Entry(action, contract, delta))
    record_many(stream=stream_of(contract.customer), entries=entries, by=by)
    return contract


@atomic_with_retry
def contract_create(
    *,
    by,
    customer: Customer,
    number: str,
    date: dt.date,
    payment_terms: PaymentTerms,
    payment_method: PaymentMethod,
    currency: str | Currency | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    price_list: PriceList | None = None,
    delivery_method: DeliveryMethod | None = None,
    delivery_terms: str = "",
    max_manual_discount: Decimal = Decimal("0"),
    is_default: bool | None = None,
    active: bool = True,
) -> Contract:
    """Add a contract to a customer (administrator, or the head of the customer's team:
    `contract_edit_forbidden`). One default per customer: a new default unsets the old one in
    the same transaction; the customer's first contract becomes the default unless told
    otherwise. Input errors: see _check_contract.
    """
    customer = _lock_customer_for_contracts(by, customer)
    if is_default is None:
        is_default = (
            active and not Contract.objects.filter(customer=customer, is_default=True).exists()
        )
    contract = Contract(
        customer=customer,
        number=number,
        date=date,
        valid_from=valid_from or date,
        valid_to=valid_to,
        currency_id=getattr(currency, "code", currency or base_currency()).upper(),
        price_list=price_list,
        payment_terms=payment_terms,
        payment_method=payment_method,
        delivery_method=delivery_method,
        delivery_terms=delivery_terms,
        max_manual_discount=max_manual_discount,
        is_default=is_default,
        active=active,
    )
    _check_contract(contract, set(CONTRACT_FIELDS))
    return _save_contract(contract, {}, "pricing.contract.created", by)


@atomic_with_retry
def contract_update(*, by, contract: Contract, **changes) -> Contract:
    """Change a contract's terms (same rights and checks as contract_create); orders already
    entered keep the terms they copied."""
    customer = _lock_customer_for_contracts(by, contract.customer)
    contract = Contract.objects.select_related("currency").get(pk=contract.pk, customer=customer)
    before = snapshot(contract, CONTRACT_FIELDS)
    if "currency" in changes:
        value = changes.pop("currency")
        contract.currency_id = getattr(value, "code", value or "").upper()
        changes_set = {"currency"}
    else:
        changes_set = set()
    apply_changes(contract, changes, CONTRACT_FIELDS)
    _check_contract(contract, changes_set | set(changes))
    return _save_contract(contract, before, "pricing.contract.changed", by)


# --- individual prices of a contract ------------------------------------------------------------

CONTRACT_PRICE_FIELDS = ["product", "price", "valid_from", "valid_to"]


def check_price_value(value, name: str = "price") -> Decimal:
    """A price from input: a number (`number_invalid`), at most 4 decimals and 14 digits
    before the point (`number_precision`), not negative (`price_negative`)."""
    try:
        price = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not a number.") % {"v": value},
            code="number_invalid",
            fields={name: str(value)},
        ) from None
    if price != price.quantize(Decimal("0.0001")) or abs(price) >= Decimal(10) ** 14:
        raise ValidationFailed(
            _("A price allows at most 4 decimal places and 14 digits before the point."),
            code="number_precision",
            fields={name: str(value)},
        )
    if price < 0:
        raise ValidationFailed(
            _("A price cannot be negative."), code="price_negative", fields={name: str(value)}
        )
    return price


def _check_contract_price(item: ContractPrice) -> None:
    """Raises `price_negative`, `number_invalid`, `number_precision`, `product_inactive`,
    `price_period_invalid`, `price_period_overlap` (another individual price of the product in
    this contract is valid on some of the same days)."""
    item.price = check_price_value(item.price)
    if item.product_id is None or not item.product.active:
        raise ValidationFailed(
            _("The product is not active."),
            code="product_inactive",
            fields={"product": item.product_id},
        )
    if item.valid_from is None or (item.valid_to is not None and item.valid_to < item.valid_from):
        raise ValidationFailed(
            _("A price's validity must start on or before its end."),
            code="price_period_invalid",
            fields={"valid_from": jsonable(item.valid_from), "valid_to": jsonable(item.valid_to)},
        )
    clash = ContractPrice.objects.filter(
        contract_id=item.contract_id, product_id=item.product_id
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=item.valid_from))
    if item.valid_to is not None:
        clash = clash.filter(valid_from__lte=item.valid_to)
    clash = clash.exclude(pk=item.pk).order_by("valid_from").first()
    if clash is not None:
        raise ValidationFailed(
            _("Another individual price of this product is valid from %(f)s to %(t)s.")
            % {"f": clash.valid_from.isoformat(), "t": jsonable(clash.valid_to) or "…"},
            code="price_period_overlap",
            fields={"valid_from": jsonable(item.valid_from), "conflicts_with": clash.pk},
        )


def _record_contract_price(by, customer, action: str, item: ContractPrice, changes) -> None:
    record_many(
        stream=stream_of(customer),
        entries=[Entry(action, item, changes, {"contract": item.contract.number})],
        by=by,
    )


@atomic_with_retry
def contract_price_add(
    *,
    by,
    contract: Contract,
    product: Product,
    price: Decimal,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> ContractPrice:
    """Agree an individual price of a product in a contract (net, in the contract's currency);
    it overrides every price list for the contract's orders. Same rights as the contract
    (`contract_edit_forbidden`); checks in _check_contract_price. History: the customer's
    stream."""
    customer = _lock_customer_for_contracts(by, contract.customer)
    contract = Contract.objects.get(pk=contract.pk, customer=customer)
    item = ContractPrice(
        contract=contract,
        product=product,
        price=price,
        valid_from=valid_from or contract.valid_from,
        valid_to=valid_to,
    )
    _check_contract_price(item)
    item.save()
    _record_contract_price(
        by, customer, "pricing.contract_price.added", item,
        diff({}, snapshot(item, CONTRACT_PRICE_FIELDS)),
    )  # fmt: skip
    return item


@atomic_with_retry
def contract_price_update(*, by, item: ContractPrice, **changes) -> ContractPrice:
    """Change an individual price or its validity; orders already entered keep their prices."""
    customer = _lock_customer_for_contracts(by, item.contract.customer)
    item = ContractPrice.objects.select_related("contract", "product").get(
        pk=item.pk, contract__customer=customer
    )
    before = snapshot(item, CONTRACT_PRICE_FIELDS)
    apply_changes(item, changes, CONTRACT_PRICE_FIELDS)
    _check_contract_price(item)
    item.save()
    delta = diff(before, snapshot(item, CONTRACT_PRICE_FIELDS))
    if delta:
        _record_contract_price(by, customer, "pricing.contract_price.changed", item, delta)
    return item


@atomic_with_retry
def contract_price_remove(*, by, item: ContractPrice) -> None:
    """Remove an individual price: the contract's orders take the list price again."""
    customer = _lock_customer_for_contracts(by, item.contract.customer)
    item = ContractPrice.objects.select_related("contract", "product").get(
        pk=item.pk, contract__customer=customer
    )
    gone = {k: {"from": v, "to": None} for k, v in snapshot(item, CONTRACT_PRICE_FIELDS).items()}
    _record_contract_price(by, customer, "pricing.contract_price.removed", item, gone)
    item.delete()
