"""Pricing arithmetic: pure Decimal, no database, no Django.

- Computed prices: derived lists (base price +/- %) and cost-plus lists (cost + markup %),
  rounded by the list's rule.
- Automatic discounts: which policies apply to a line and how they stack.
- The line's effective discount from its three parts (automatic, manual, order).
- Deviations: an order compared with its standard, every difference with its numbers.

The services gather the data (few queries) and call these; the tests call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderdesk.core.money import HUNDRED, ZERO, quantize

PRICE_EXP = Decimal("0.0001")
PERCENT_EXP = Decimal("0.01")
ONE = Decimal("1")

# --- computed prices --------------------------------------------------------------------------

ROUNDING_STEPS = {"0.01": Decimal("0.01"), "0.10": Decimal("0.10"), "1": Decimal("1")}


def round_price(price: Decimal, rule: str) -> Decimal:
    """Round a computed price by a list's rule, half up.

    "none": to 0.0001; "0.01", "0.10", "1": to that step; "end_90": to the nearest amount
    ending in .90 (12.34 -> 11.90, 12.41 -> 12.90; never below 0.90).
    """
    if rule in ROUNDING_STEPS:
        step = ROUNDING_STEPS[rule]
        return (price / step).quantize(ONE, rounding=ROUND_HALF_UP) * step
    if rule == "end_90":
        # the nearest n + 0.90: shift by 0.90, round to whole, shift back
        whole = (price - Decimal("0.90")).quantize(ONE, rounding=ROUND_HALF_UP)
        return max(whole, ZERO) + Decimal("0.90")
    return price.quantize(PRICE_EXP, rounding=ROUND_HALF_UP)


def derived_price(base_price: Decimal, *, percent: Decimal, rule: str) -> Decimal:
    """A derived list's price: the base list's price +/- `percent`, rounded."""
    return round_price(base_price * (HUNDRED + percent) / HUNDRED, rule)


def cost_plus_price(cost: Decimal, *, markup: Decimal, rule: str) -> Decimal:
    """A cost-plus list's price: cost x (1 + markup %), rounded."""
    return round_price(cost * (HUNDRED + markup) / HUNDRED, rule)


def convert(price: Decimal, *, from_rate: Decimal, to_rate: Decimal) -> Decimal:
    """A price in one currency expressed in another through their base-currency rates."""
    if from_rate == to_rate:
        return price
    return (price * from_rate / to_rate).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)


# --- tiers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    threshold: Decimal  # from this quantity / amount on
    percent: Decimal


def tier_problem(tiers: Sequence[Tier]) -> tuple[int, str, str] | None:
    """The first thing wrong with a tier table as (index, field, code), or None.

    Thresholds must be positive and strictly ascending; percents 0-100 and never smaller
    than the tier before (a larger order never earns a smaller discount).
    """
    for i, tier in enumerate(tiers):
        if tier.threshold <= 0:
            return i, "from", "tier_threshold_not_positive"
        if not ZERO <= tier.percent <= HUNDRED:
            return i, "percent", "discount_out_of_range"
        if i and tier.threshold <= tiers[i - 1].threshold:
            return i, "from", "tiers_out_of_order"
        if i and tier.percent < tiers[i - 1].percent:
            return i, "percent", "tiers_out_of_order"
    return None


def tier_percent(tiers: Sequence[Tier], value: Decimal) -> Decimal | None:
    """The percent of the highest tier whose threshold `value` reaches (None below the first)."""
    found = None
    for tier in tiers:
        if value >= tier.threshold:
            found = tier.percent
    return found


# --- automatic discounts ----------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    """A discount policy as the calculation needs it."""

    code: str
    name: str
    kind: str  # customer_group | product_group | quantity | order_amount
    percent: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()
    customer_group_id: int | None = None
    product_group_id: int | None = None
    priority: int = 100
    stacking: str = "exclusive"  # exclusive | additive | compound


@dataclass(frozen=True)
class PolicyPart:
    code: str
    name: str
    percent: Decimal
    stacking: str
    applied: bool  # False: it applied to the line but an exclusive policy stood alone


@dataclass(frozen=True)
class AutoDiscount:
    percent: Decimal
    parts: tuple[PolicyPart, ...] = ()


NO_AUTO = AutoDiscount(ZERO)


def policy_percent(
    rule: PolicyRule,
    *,
    customer_group_id: int | None,
    product_group_ids: frozenset[int] | set[int],
    quantity: Decimal,
    order_amount: Decimal,
) -> Decimal | None:
    """The percent `rule` gives a line, or None when it does not apply.

    A customer group or product group set on any kind narrows it to that group (a product
    group matches its subgroups: `product_group_ids` holds the product's group and its
    ancestors). Quantity tiers read the line quantity; order amount tiers the order's amount
    before discounts in the base currency.
    """
    if rule.customer_group_id is not None and rule.customer_group_id != customer_group_id:
        return None
    if rule.product_group_id is not None and rule.product_group_id not in product_group_ids:
        return None
    if rule.kind == "quantity":
        percent = tier_percent(rule.tiers, quantity)
    elif rule.kind == "order_amount":
        percent = tier_percent(rule.tiers, order_amount)
    else:
        percent = rule.percent
    if percent is None or percent <= 0:
        return None
    return percent


def stack_discounts(candidates: Iterable[tuple[PolicyRule, Decimal]]) -> AutoDiscount:
    """Combine the policies that apply to a line into one automatic discount.

    The rule (documented in docs/apps/pricing.md):
    1. Policies are taken by priority, highest first (then by code).
    2. If the first one is `exclusive`, it applies alone: nothing else is added.
       An exclusive policy below another that applies is skipped (it never combines).
    3. Otherwise every non-exclusive policy applies in that order: `additive` adds its
       percentage points to the discount so far, `compound` takes its percent off what
       remains (d = 100 - (100 - d) x (100 - p) / 100).
    The result is capped at 100 and rounded to 0.01.
    """
    ordered = sorted(candidates, key=lambda c: (-c[0].priority, c[0].code))
    if not ordered:
        return NO_AUTO
    first, first_percent = ordered[0]
    parts = []
    if first.stacking == "exclusive":
        total = first_percent
        parts.append(PolicyPart(first.code, first.name, first_percent, first.stacking, True))
        parts += [PolicyPart(r.code, r.name, p, r.stacking, False) for r, p in ordered[1:]]
    else:
        total = ZERO
        for rule, percent in ordered:
            if rule.stacking == "exclusive":
                parts.append(PolicyPart(rule.code, rule.name, percent, rule.stacking, False))
                continue
            if rule.stacking == "compound":
                total = HUNDRED - (HUNDRED - total) * (HUNDRED - percent) / HUNDRED
            else:
                total = total + percent
            parts.append(PolicyPart(rule.code, rule.name, percent, rule.stacking, True))
    total = min(total, HUNDRED).quantize(PERCENT_EXP, rounding=ROUND_HALF_UP)
    return AutoDiscount(total, tuple(parts))


def auto_discount(
    rules: Iterable[PolicyRule],
    *,
    customer_group_id: int | None,
    product_group_ids: frozenset[int] | set[int],
    quantity: Decimal,
    order_amount: Decimal,
) -> AutoDiscount:
    """The automatic discount of one line under `rules` (already filtered by period)."""
    candidates = []
    for rule in rules:
        percent = policy_percent(
            rule,
            customer_group_id=customer_group_id,
            product_group_ids=product_group_ids,
            quantity=quantity,
            order_amount=order_amount,
        )
        if percent is not None:
            candidates.append((rule, percent))
    return stack_discounts(candidates)


def combine_discounts(auto: Decimal, manual: Decimal, order: Decimal) -> Decimal:
    """The line's effective discount: automatic, then manual, then the order's discount, each
    taken off what remains; rounded to 0.01 (the precision the line and the invoice keep)."""
    remaining = (HUNDRED - auto) * (HUNDRED - manual) * (HUNDRED - order) / (HUNDRED * HUNDRED)
    return (HUNDRED - remaining).quantize(PERCENT_EXP, rounding=ROUND_HALF_UP)


def line_list_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """A line's amount before any discount."""
    return quantize(quantity * unit_price, currency)


def after_percent(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    return quantize(amount * (HUNDRED - percent) / HUNDRED, currency)


def granted_discount(
    lines: Iterable[tuple[Decimal, Decimal, Decimal, Decimal]], currency: str
) -> Decimal:
    """The money given away beyond the automatic discounts: for each line (quantity, unit
    price, automatic %, net amount), the amount after the automatic discount less the net."""
    total = ZERO
    for quantity, unit_price, auto, net in lines:
        total += after_percent(line_list_amount(quantity, unit_price, currency), auto, currency)
        total -= net
    return max(total, ZERO)


def floor_price(cost: Decimal, min_margin: Decimal | None) -> Decimal:
    """The lowest net price allowed: the cost, or the price whose margin (on the price) is
    `min_margin` %: cost / (1 - margin)."""
    if not min_margin:
        return cost
    return (cost * HUNDRED / (HUNDRED - min_margin)).quantize(PRICE_EXP, rounding=ROUND_HALF_UP)


def effective_price(unit_price: Decimal, discount: Decimal) -> Decimal:
    return (unit_price * (HUNDRED - discount) / HUNDRED).quantize(PRICE_EXP, ROUND_HALF_UP)


# --- deviations -------------------------------------------------------------------------------


class Kind:
    """Stable deviation codes (the approval rules refer to them)."""

    DISCOUNT_OVER_CAP = "discount_over_cap"
    TOTAL_DISCOUNT_OVER_LIMIT = "total_discount_over_limit"
    DISCOUNT_BUDGET_EXCEEDED = "discount_budget_exceeded"
    PRICE_BELOW_FLOOR = "price_below_floor"
    PRICE_BELOW_LIST = "price_below_list"
    PAYMENT_TERMS_LONGER = "payment_terms_longer"
    PREPAYMENT_LOWER = "prepayment_lower"
    CURRENCY_DIFFERS = "currency_differs"
    PAYMENT_METHOD_DIFFERS = "payment_method_differs"
    DELIVERY_TERMS_DIFFER = "delivery_terms_differ"
    ORDER_AMOUNT_OVER_THRESHOLD = "order_amount_over_threshold"

    ALL = (
        DISCOUNT_OVER_CAP,
        TOTAL_DISCOUNT_OVER_LIMIT,
        DISCOUNT_BUDGET_EXCEEDED,
        PRICE_BELOW_FLOOR,
        PRICE_BELOW_LIST,
        PAYMENT_TERMS_LONGER,
        PREPAYMENT_LOWER,
        CURRENCY_DIFFERS,
        PAYMENT_METHOD_DIFFERS,
        DELIVERY_TERMS_DIFFER,
        ORDER_AMOUNT_OVER_THRESHOLD,
    )


@dataclass(frozen=True)
class PaymentTermsData:
    id: int | None
    name: str
    max_days: int
    prepayment_percent: Decimal


@dataclass(frozen=True)
class LineData:
    position: int
    product: str  # "SKU name", for people
    quantity: Decimal
    unit_price: Decimal
    list_price: Decimal | None
    auto_discount: Decimal
    manual_discount: Decimal
    discount: Decimal  # effective
    net_amount: Decimal
    cost_base: Decimal  # unit cost in the base currency
    line_id: int | None = None


@dataclass(frozen=True)
class OrderData:
    currency: str
    base_currency: str
    exchange_rate: Decimal
    lines: tuple[LineData, ...]
    base_gross_amount: Decimal
    payment_terms: PaymentTermsData
    payment_method: tuple[int | None, str]
    delivery: tuple[int | None, str]  # (delivery method id, "method; terms")
    discount_percent: Decimal = ZERO  # the order-level discount


@dataclass(frozen=True)
class ContractData:
    number: str
    currency: str
    payment_terms: PaymentTermsData
    payment_method: tuple[int | None, str]
    delivery: tuple[int | None, str]
    max_manual_discount: Decimal


@dataclass(frozen=True)
class BudgetData:
    amount: Decimal
    used: Decimal  # granted on the manager's other confirmed orders of the period
    period_start: Any
    period_end: Any


@dataclass(frozen=True)
class Standard:
    """What the order is compared with: contract terms, limits, the manager's cap and budget."""

    contract: ContractData | None = None
    role_cap: Decimal = ZERO  # the largest manual-discount cap among the manager's roles
    max_order_discount_percent: Decimal | None = None
    max_order_discount_amount: Decimal | None = None  # base currency
    budget: BudgetData | None = None
    min_margin_percent: Decimal | None = None
    order_amount_threshold: Decimal | None = None  # base currency
    approvers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Deviation:
    """One difference from the standard.

    `standard`: what the standard gives for the measure; `value`: what the order has;
    `limit`: the threshold passed (None where any difference deviates); `unit`: "%", a
    currency code, "days" or "" for names; `line`: the line's position, None for the header.
    """

    kind: str
    line: int | None
    standard: Decimal | str | int | None
    value: Decimal | str | int | None
    limit: Decimal | str | int | None
    unit: str
    approvers: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)
    line_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        def out(v):
            return format(v.normalize(), "f") if isinstance(v, Decimal) else v

        return {
            "kind": self.kind,
            "line": self.line,
            "line_id": self.line_id,
            "standard": out(self.standard),
            "value": out(self.value),
            "limit": out(self.limit),
            "unit": self.unit,
            "approvers": list(self.approvers),
            "detail": {k: out(v) for k, v in self.detail.items()},
        }


def order_discount_totals(order: OrderData) -> tuple[Decimal, Decimal, Decimal]:
    """(amount before discounts, all discounts, automatic discounts) in the order currency."""
    gross = discount = auto = ZERO
    for li in order.lines:
        before = line_list_amount(li.quantity, li.unit_price, order.currency)
        gross += before
        discount += before - li.net_amount
        auto += before - after_percent(before, li.auto_discount, order.currency)
    return gross, discount, auto


def _percent_of(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return ZERO
    return (part * HUNDRED / whole).quantize(PERCENT_EXP, rounding=ROUND_HALF_UP)


def deviations(order: OrderData, standard: Standard) -> list[Deviation]:
    """Every way `order` departs from `standard`, each with its numbers; lines first (by
    position), then the order as a whole, then the header terms against the contract."""
    found: list[Deviation] = []

    def add(kind, line, std, value, limit, unit, line_id=None, **detail):
        found.append(
            Deviation(
                kind=kind,
                line=line,
                standard=std,
                value=value,
                limit=limit,
                unit=unit,
                approvers=tuple(standard.approvers.get(kind, ())),
                detail=detail,
                line_id=line_id,
            )
        )

    contract = standard.contract
    cap = standard.role_cap
    if contract is not None:
        cap = min(cap, contract.max_manual_discount)
    base = order.base_currency
    for li in sorted(order.lines, key=lambda x: x.position):
        if li.manual_discount > cap:
            detail = {"role_cap": standard.role_cap}
            if contract is not None:
                detail["contract_cap"] = contract.max_manual_discount
            add(Kind.DISCOUNT_OVER_CAP, li.position, ZERO, li.manual_discount, cap, "%",
                li.line_id, **detail)  # fmt: skip
        if li.list_price is not None and li.unit_price < li.list_price:
            add(Kind.PRICE_BELOW_LIST, li.position, li.list_price, li.unit_price, None,
                order.currency, li.line_id)  # fmt: skip
        if li.cost_base > 0:
            price_base = effective_price(li.unit_price, li.discount) * order.exchange_rate
            price_base = price_base.quantize(PRICE_EXP, rounding=ROUND_HALF_UP)
            floor = floor_price(li.cost_base, standard.min_margin_percent)
            if price_base < floor:
                add(Kind.PRICE_BELOW_FLOOR, li.position, li.cost_base, price_base, floor, base,
                    li.line_id, min_margin_percent=standard.min_margin_percent)  # fmt: skip

    gross, discount, auto = order_discount_totals(order)
    if standard.max_order_discount_percent is not None:
        percent = _percent_of(discount, gross)
        if percent > standard.max_order_discount_percent:
            add(Kind.TOTAL_DISCOUNT_OVER_LIMIT, None, _percent_of(auto, gross), percent,
                standard.max_order_discount_percent, "%")  # fmt: skip
    if standard.max_order_discount_amount is not None:
        amount = quantize(discount * order.exchange_rate, base)
        if amount > standard.max_order_discount_amount:
            add(Kind.TOTAL_DISCOUNT_OVER_LIMIT, None, quantize(auto * order.exchange_rate, base),
                amount, standard.max_order_discount_amount, base)  # fmt: skip
    budget = standard.budget
    if budget is not None:
        granted = quantize(
            granted_discount(
                ((li.quantity, li.unit_price, li.auto_discount, li.net_amount)
                 for li in order.lines), order.currency,
            ) * order.exchange_rate, base,
        )  # fmt: skip
        if granted > 0 and budget.used + granted > budget.amount:
            add(Kind.DISCOUNT_BUDGET_EXCEEDED, None, budget.used, budget.used + granted,
                budget.amount, base, granted=granted, period_start=budget.period_start,
                period_end=budget.period_end)  # fmt: skip
    threshold = standard.order_amount_threshold
    if threshold is not None and order.base_gross_amount > threshold:
        add(Kind.ORDER_AMOUNT_OVER_THRESHOLD, None, None, order.base_gross_amount, threshold,
            base)  # fmt: skip

    if contract is not None:
        ours, theirs = order.payment_terms, contract.payment_terms
        if ours.max_days > theirs.max_days:
            add(Kind.PAYMENT_TERMS_LONGER, None, theirs.max_days, ours.max_days, None, "days",
                contract_terms=theirs.name, order_terms=ours.name)  # fmt: skip
        if ours.prepayment_percent < theirs.prepayment_percent:
            add(Kind.PREPAYMENT_LOWER, None, theirs.prepayment_percent, ours.prepayment_percent,
                None, "%", contract_terms=theirs.name, order_terms=ours.name)  # fmt: skip
        if order.currency != contract.currency:
            add(Kind.CURRENCY_DIFFERS, None, contract.currency, order.currency, None, "")
        if order.payment_method[0] != contract.payment_method[0]:
            add(Kind.PAYMENT_METHOD_DIFFERS, None, contract.payment_method[1],
                order.payment_method[1], None, "")  # fmt: skip
        if order.delivery != contract.delivery:
            add(Kind.DELIVERY_TERMS_DIFFER, None, contract.delivery[1], order.delivery[1], None,
                "")  # fmt: skip
    return found
