"""Deviations of an order from its standard: gathering the data, the approver table, the panel.

The comparison itself is one pure function, `pricing.calculations.deviations(order, standard)`;
this module gathers its two inputs with a handful of queries (`order_deviations`), says who
may approve each deviation under the active approval rules (`approvals.services.approvers_for`:
the same rules that route the order at submit), and shows the list on the order card
(`deviations_panel`, slot "order_card").

Kinds (stable codes), what is compared and the numbers each carries:

| kind | line | standard | value | limit |
|---|---|---|---|---|
| discount_over_cap | yes | 0 | manual discount % | the manager's cap (role cap, lowered by the contract's) |
| price_below_list | yes | the standard price | the line price | — |
| price_below_floor | yes | unit cost (base) | net unit price after discounts (base) | the floor: cost, or cost / (1 - min margin) |
| total_discount_over_limit | no | automatic part (% or base amount) | all discounts (% or base amount) | the order limit |
| discount_budget_exceeded | no | granted on the manager's other confirmed orders of the period | that plus this order's | the budget |
| order_amount_over_threshold | no | — | order total (base) | the threshold |
| payment_terms_longer | no | contract's longest days | order's longest days | — |
| prepayment_lower | no | contract's prepayment % | order's prepayment % | — |
| currency_differs, payment_method_differs, delivery_terms_differ | no | contract's | order's | — |
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderdesk.approvals.services import approvers_for
from orderdesk.core.roles import Role
from orderdesk.customers.models import PaymentTerms, PaymentTermsInstalment
from orderdesk.pricing import calculations as calc
from orderdesk.pricing.selectors import can_view_prices, limits_for

from .choices import OrderStatus
from .models import Order

K = calc.Kind

KIND_LABELS = {
    K.DISCOUNT_OVER_CAP: _("Manual discount above the cap"),
    K.TOTAL_DISCOUNT_OVER_LIMIT: _("Total discount above the order limit"),
    K.DISCOUNT_BUDGET_EXCEEDED: _("Manager's discount budget exceeded"),
    K.PRICE_BELOW_FLOOR: _("Price below the floor"),
    K.PRICE_BELOW_LIST: _("Price below the standard price"),
    K.PAYMENT_TERMS_LONGER: _("Payment terms longer than the contract's"),
    K.PREPAYMENT_LOWER: _("Prepayment lower than the contract's"),
    K.CURRENCY_DIFFERS: _("Currency other than the contract's"),
    K.PAYMENT_METHOD_DIFFERS: _("Payment method other than the contract's"),
    K.DELIVERY_TERMS_DIFFER: _("Delivery terms other than the contract's"),
    K.ORDER_AMOUNT_OVER_THRESHOLD: _("Order amount above the approval threshold"),
}
UNIT_LABELS = {"days": _("days")}
CONFIRMED = (OrderStatus.CONFIRMED, OrderStatus.CLOSED)


def _terms(terms: PaymentTerms, instalments: list) -> calc.PaymentTermsData:
    prepaid = {"on_order", "before_shipment"}
    return calc.PaymentTermsData(
        id=terms.pk,
        name=str(terms),
        max_days=max((i.days for i in instalments), default=0),
        prepayment_percent=sum(
            (i.share_percent for i in instalments if i.trigger in prepaid), Decimal(0)
        ),
    )


def _delivery(method, terms: str) -> tuple[int | None, str]:
    text = "; ".join(x for x in (str(method) if method else "", terms or "") if x)
    return (getattr(method, "pk", None), text)


def _like_order(order: Order, contract, name: str):
    """The contract's reference `name`, taken from the order when it is the same row (the
    order's references are loaded already; the contract's would each cost a query)."""
    if getattr(contract, f"{name}_id") == getattr(order, f"{name}_id"):
        return getattr(order, name)
    return getattr(contract, name)


def gather(order: Order) -> tuple[calc.OrderData, calc.Standard]:
    """The order and its standard as the pure comparison needs them.

    Queries: the lines and the order's instalments (none when prefetched, as order_get_for
    does), the contract's instalments when its terms are others (one), the limits with the
    manager's cap and budget (one), what the budget has used (one, when there is a budget).
    Each line's cost is the cost in base currency it was entered with.
    """
    base = settings.ORDERDESK["BASE_CURRENCY"]
    lines = list(order.lines.all())
    contract = order.contract
    # the order's terms come with their instalments (order_get_for prefetches them); the
    # contract's are read only when they are other terms
    instalments = {order.payment_terms_id: list(order.payment_terms.instalments.all())}
    if contract is not None and contract.payment_terms_id not in instalments:
        instalments[contract.payment_terms_id] = list(
            PaymentTermsInstalment.objects.filter(terms_id=contract.payment_terms_id)
        )
    data = calc.OrderData(
        currency=order.currency_id,
        base_currency=base,
        exchange_rate=order.exchange_rate,
        lines=tuple(
            calc.LineData(
                position=li.position,
                product=f"{li.product.sku} {li.description}",
                quantity=li.quantity,
                unit_price=li.unit_price,
                list_price=li.list_price,
                auto_discount=li.auto_discount_percent,
                manual_discount=li.manual_discount_percent,
                discount=li.discount_percent,
                net_amount=li.net_amount,
                cost_base=li.cost_price,  # base currency, at entry
                line_id=li.pk,
            )
            for li in lines
        ),
        base_gross_amount=order.base_gross_amount,
        payment_terms=_terms(order.payment_terms, instalments[order.payment_terms_id]),
        payment_method=(order.payment_method_id, str(order.payment_method)),
        delivery=_delivery(order.delivery_method, order.delivery_terms),
        discount_percent=order.discount_percent,
    )
    contract_data = None
    if contract is not None:
        terms = _like_order(order, contract, "payment_terms")
        contract_data = calc.ContractData(
            number=contract.number,
            currency=contract.currency_id,
            payment_terms=_terms(terms, instalments[contract.payment_terms_id]),
            payment_method=(
                contract.payment_method_id,
                str(_like_order(order, contract, "payment_method")),
            ),
            delivery=_delivery(
                _like_order(order, contract, "delivery_method"), contract.delivery_terms
            ),
            max_manual_discount=contract.max_manual_discount,
        )
    mine = limits_for(manager=order.manager, on=order.order_date, known=order)
    limits, budget = mine.limits, mine.budget
    budget_data = None
    if budget is not None:
        used = (
            Order.objects.filter(
                manager_id=order.manager_id,
                status__in=CONFIRMED,
                order_date__gte=budget.period_start,
                order_date__lte=budget.period_end,
            )
            .exclude(pk=order.pk)
            .aggregate(total=Sum("base_granted_discount_amount"))["total"]
        )
        budget_data = calc.BudgetData(
            amount=budget.amount,
            used=used or Decimal("0"),
            period_start=budget.period_start,
            period_end=budget.period_end,
        )
    standard = calc.Standard(
        contract=contract_data,
        role_cap=mine.cap,
        max_order_discount_percent=limits.max_order_discount_percent,
        max_order_discount_amount=limits.max_order_discount_amount,
        budget=budget_data,
        min_margin_percent=limits.min_margin_percent,
        order_amount_threshold=limits.order_amount_threshold,
    )
    return data, standard


def order_deviations(order: Order) -> list[calc.Deviation]:
    """Every deviation of `order` from its standard, with its numbers (see the module table)
    and who may approve it under the active approval rules."""
    data, standard = gather(order)
    found = calc.deviations(data, standard)
    if not found:
        return found
    who = approvers_for([d.as_dict() for d in found])
    return [replace(d, approvers=tuple(names)) for d, names in zip(found, who, strict=True)]


# --- showing them -------------------------------------------------------------------------------


def _shown(value: Any, unit: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        value = format(value.normalize(), "f") if value == value.to_integral() else f"{value:f}"
    unit = str(UNIT_LABELS.get(unit, unit))
    return f"{value} {unit}".strip() if unit != "%" else f"{value} %"


def describe(deviation: calc.Deviation) -> dict[str, Any]:
    """A deviation as the page shows it (labels translated, numbers with their unit)."""
    roles = dict(Role.choices)
    return {
        "kind": deviation.kind,
        "label": KIND_LABELS.get(deviation.kind, deviation.kind),
        "line": deviation.line,
        "standard": _shown(deviation.standard, deviation.unit),
        "value": _shown(deviation.value, deviation.unit),
        "limit": _shown(deviation.limit, deviation.unit),
        "approvers": [roles.get(r, r) for r in deviation.approvers],
    }


def deviations_panel(request, order: Order) -> dict[str, Any] | None:
    """The order card's deviations panel (refreshed by htmx while the lines change); not for
    roles that do not work with prices."""
    if not can_view_prices(request.user):
        return None
    return {
        "order": order,
        "deviations": [describe(d) for d in order_deviations(order)],
        "refresh_url": reverse("orders:deviations", args=[order.pk]),
    }
