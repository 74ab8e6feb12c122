"""Demo orders: half a year of them, each written through the order services acting as the
customer's manager (create, edit, submit, amend, cancel), so each has real history; what
follows the submission (approval, credit control, warehouse, documents, payments) is in
`flow`."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from orderdesk.catalog.models import Product
from orderdesk.customers.models import Customer, PaymentMethod, PaymentTerms
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus
from orderdesk.orders.models import Order
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_cancel,
    order_close,
    order_copy,
    order_create,
    order_create_from_template,
    order_line_add,
    order_line_update,
    order_update,
    template_save,
)
from orderdesk.pricing.models import Contract

from . import data, flow
from .master import nice_quantity
from .world import CENT, ORDER_DAYS, World


@dataclass
class Plan:
    """What happens to one demo order, decided before it is written."""

    date: dt.date
    customer: Customer
    state: str  # draft | confirmed | closed | cancelled
    cancel_confirmed: bool = False
    amend: bool = False
    edit_draft: bool = False
    schedule: bool = False
    source: str = "new"  # new | template | copy
    cancel_reason: str = ""
    deviation: str = ""  # discount | floor (a manager's line) | terms (the head's header)
    approval: str = ""  # approve | pending | reject | return, when rules fire
    pay: str = ""  # none | part (a late payer's invoices) | queue (released, not shipped)


def load_templates(world: World) -> None:
    for spec in data.TEMPLATES:
        world.templates.append(
            template_save(
                by=world.users[spec.owner],
                name=spec.name,
                shared=spec.shared,
                comment=spec.comment,
                lines=[
                    LineInput(
                        product=world.products[name].pk,
                        quantity=qty,
                        discount_percent=spec.discount or None,
                    )
                    for name, qty in spec.lines
                ],
            )
        )


def load_orders(world: World) -> None:
    plans = plan_orders(world)
    last_order: dict[int, Order] = {}
    cut_on = world.today - dt.timedelta(days=data.LIMIT_CUT_DAYS)
    limit_cut = False
    for plan in plans:
        if not limit_cut and plan.date >= cut_on:
            flow.cut_limit(world)
            limit_cut = True
        order = write_order(world, plan, last_order.get(plan.customer.pk))
        last_order[plan.customer.pk] = order


def plan_orders(world: World) -> list[Plan]:
    rng = world.rng
    customers = list(Customer.objects.filter(active=True).order_by("pk"))
    weights = [
        {"wholesale": 3, "retail": 3, "construction": 2, "shop": 1}[world.specs[c.pk].kind]
        for c in customers
    ]
    start = world.today - dt.timedelta(days=ORDER_DAYS)
    dates = []
    for _ in range(world.profile.orders):
        day = start + dt.timedelta(days=rng.randint(0, ORDER_DAYS))
        if day.weekday() == 6 or (day.weekday() == 5 and rng.random() < 0.7):
            day -= dt.timedelta(days=day.weekday() - 4)  # weekend orders move to Friday
        dates.append(day)
    dates.sort()
    plans = []
    for day in dates:
        customer = rng.choices(customers, weights)[0]
        plan = Plan(date=day, customer=customer, state=_state(world, (world.today - day).days))
        if plan.state == "cancelled":
            plan.cancel_confirmed = rng.random() < 0.4
        plan.amend = plan.state in ("confirmed", "closed") and rng.random() < 0.2
        plan.edit_draft = rng.random() < 0.2
        plan.schedule = world.specs[customer.pk].kind in (
            "construction",
            "wholesale",
        ) and (rng.random() < 0.15)
        r = rng.random()
        plan.source = "template" if r < 0.1 else "copy" if r < 0.14 else "new"
        plans.append(plan)
    # Every shape at least once, even in a small run.
    taken: set[int] = set()
    _plan_approvals(world, plans, taken)
    forced = rng.sample([i for i in range(len(plans)) if i not in taken], 9)
    shapes = [
        {"state": "draft"},
        {"state": "confirmed"},
        {"state": "closed"},
        {"state": "cancelled", "cancel_confirmed": False},
        {"state": "cancelled", "cancel_confirmed": True, "cancel_reason": "other"},
        {"state": "confirmed", "amend": True},
        {"state": "closed", "amend": True},
        {"source": "template"},
        {"schedule": True, "source": "new"},
    ]
    for index, shape in zip(forced, shapes, strict=True):
        for key, value in shape.items():
            setattr(plans[index], key, value)
    taken.update(forced)
    _plan_stories(world, plans, customers, taken)
    _plan_deviations(world, plans, taken)
    for plan in plans:
        if plan.state == "cancelled" and not plan.cancel_reason:
            reasons, weights_ = zip(*data.CANCEL_REASONS.items(), strict=True)
            plan.cancel_reason = rng.choices(reasons, weights_)[0]
        if plan.state not in ("confirmed", "closed"):
            plan.amend = plan.amend and plan.cancel_confirmed
    return plans


def _plan_stories(
    world: World, plans: list[Plan], customers: list[Customer], taken: set[int]
) -> None:
    """The orders the credit and receivables story needs, even in a small run: the late
    payer's old unpaid invoices, the blocked customer's last order and a held one, the cut
    limit's two held orders."""
    by_slug = {world.specs[c.pk].slug: c for c in customers}
    for slug, age, pay in data.STORY_ORDERS:
        customer = by_slug.get(slug)
        if customer is None:
            continue
        day = world.today - dt.timedelta(days=age)
        free = [i for i in range(len(plans)) if i not in taken]
        index = min(free, key=lambda i: (abs((plans[i].date - day).days), i))
        taken.add(index)
        plan = plans[index]
        plan.customer, plan.state, plan.pay = customer, "confirmed", pay
        plan.amend = plan.cancel_confirmed = plan.schedule = plan.edit_draft = False
        plan.source = "new"


def _plan_approvals(world: World, plans: list[Plan], taken: set[int]) -> None:
    """The latest orders of the managers: some wait for approval (the head's inbox), one was
    rejected, one returned for rework; the head's latest one waits for the credit
    controller's approval of longer terms."""
    today = world.today

    def latest(head: bool) -> list[int]:
        found = [
            i
            for i, p in enumerate(plans)
            if i not in taken
            and (today - p.date).days <= 60
            and (world.specs[p.customer.pk].manager == "head") == head
            and world.specs[p.customer.pk].slug not in data.STORY_CUSTOMERS
        ]
        return sorted(found, key=lambda i: (plans[i].date, i), reverse=True)

    outcomes = ["pending", "reject", "pending", "return", "pending"]
    for index, outcome in zip(latest(False), outcomes, strict=False):
        plan = plans[index]
        plan.state, plan.amend, plan.cancel_confirmed = "confirmed", False, False
        plan.deviation = "floor" if outcome == "reject" else "discount"
        plan.approval, plan.source = outcome, "new"
        taken.add(index)
    for index in latest(True)[:1]:
        plan = plans[index]
        plan.state, plan.amend, plan.cancel_confirmed = "confirmed", False, False
        plan.deviation, plan.approval, plan.source = "terms", "pending", "new"
        taken.add(index)


def _plan_deviations(world: World, plans: list[Plan], taken: set[int]) -> None:
    """Orders that depart from the standard now and then: a manager's discount above the
    cap (or below the price floor), the head's longer payment terms for his own customers;
    approved in the end."""
    rng = world.rng
    for i, plan in enumerate(plans):
        if i in taken or (plan.state in ("draft", "cancelled") and not plan.cancel_confirmed):
            continue
        if world.specs[plan.customer.pk].manager == "head":
            if rng.random() < 0.2:
                plan.deviation = "terms"
        elif rng.random() < 0.07:
            plan.deviation = rng.choice(["discount", "discount", "floor"])


def _state(world: World, age: int) -> str:
    if age > 45:
        table = {"closed": 62, "cancelled": 12, "confirmed": 22, "draft": 4}
    elif age > 14:
        table = {"confirmed": 50, "closed": 22, "cancelled": 10, "draft": 18}
    else:
        table = {"draft": 40, "confirmed": 50, "cancelled": 10}
    return world.rng.choices(list(table), list(table.values()))[0]


def write_order(world: World, plan: Plan, previous: Order | None) -> Order:
    rng = world.rng
    customer = plan.customer
    spec = world.specs[customer.pk]
    by = world.users[spec.manager]
    default, second = world.contracts[customer.pk]
    contract = second if second is not None and rng.random() < 0.3 else default
    header: dict[str, Any] = {
        "order_date": plan.date,
        "warehouse": world.warehouses[data.CITIES[spec.city].warehouse],
    }
    if rng.random() < 0.7:
        header["requested_delivery_date"] = plan.date + dt.timedelta(
            days=rng.choice([1, 2, 3, 5, 7, 10, 14])
        )
    if rng.random() < 0.45:
        number = rng.randint(100, 9999)
        header["customer_reference"] = (
            f"{rng.choice(data.SITES)}, заявка {number}"
            if spec.kind == "construction"
            else f"Заявка № {number}"
        )
    if rng.random() < 0.2:
        header["comment"] = rng.choice(data.ORDER_COMMENTS)
    if spec.kind == "construction":
        header["partial_shipment_allowed"] = True
    elif rng.random() < 0.15:
        header["partial_shipment_allowed"] = False

    source = plan.source
    if source == "copy" and (previous is None or plan.schedule):
        source = "new"
    if source == "template":
        usable = [t for t in world.templates if t.shared or t.owner_id == by.pk]
        template = rng.choice(usable)
        order = order_create_from_template(
            by=by, template=template, customer=customer, contract=contract.pk, **header
        )
        world.order_flags["from template"] += 1
    elif source == "copy":
        header.pop("customer_reference", None)
        order = order_copy(by=by, order=previous, **header)
        world.order_flags["copied"] += 1
    else:
        lines = _lines(world, spec, contract, plan)
        if plan.deviation == "terms":
            header.update(_longer_terms(contract))
        order = order_create(by=by, customer=customer, contract=contract.pk, lines=lines, **header)
        if plan.schedule:
            world.order_flags["with delivery schedule"] += 1

    if plan.edit_draft:
        _edit_draft(world, order, by, spec)
    if plan.state == "draft":
        return order
    if plan.state == "cancelled" and not plan.cancel_confirmed:
        return _cancel(world, order, by, plan)
    order = flow.submit(world, plan, order, by)
    if order.status != OrderStatus.CONFIRMED:
        return order
    if plan.amend:
        _amend(world, order, by, spec)
        world.order_flags["amended"] += 1
        order = flow.after_amend(world, order)
        if order.status != OrderStatus.CONFIRMED:
            return order
    if plan.state == "cancelled":
        flow.drop_drafts(world, order)
        return _cancel(world, order, by, plan)
    flow.carry_out(world, plan, order)
    order.refresh_from_db()
    if (
        plan.state == "closed"
        and order.status == OrderStatus.CONFIRMED
        and order.fulfillment_status == FulfillmentStatus.SHIPPED
    ):
        order_close(by=by, order=order)  # shipped; the rest of the money is the accountant's
        world.order_flags["closed by hand"] += 1
    return order


def _pool(world: World, kind: str) -> list[Product]:
    if kind not in world.pools:
        prefixes = data.BUYS[kind]
        world.pools[kind] = [
            p
            for p in world.products.values()
            if p.active and world.group_of[p.pk].startswith(prefixes)
        ]
    return world.pools[kind]


def _quantity(world: World, product: Product, kind: str) -> Decimal:
    budget = {"construction": 9000, "wholesale": 7000, "retail": 4500, "shop": 1500}[kind]
    spend = world.rng.lognormvariate(math.log(budget), 0.8)
    qty = nice_quantity(spend / (float(product.cost_price) * 1.3), product.unit)
    # nobody orders 800 drill bits: cap pieces and packs, not bulk goods sold by kg or m
    cap = {"шт": 500, "уп": 200}.get(product.unit)
    if cap and kind == "shop":
        cap //= 10
    return min(qty, Decimal(cap)) if cap else qty


def _lines(
    world: World, spec: data.CustomerSpec, contract: Contract, plan: Plan
) -> list[LineInput]:
    rng = world.rng
    count = rng.choices([1, 2, 3, 4, 5, 6, 7, 8, 10, 12], [8, 12, 15, 14, 12, 10, 8, 6, 4, 2])[0]
    pool = _pool(world, spec.kind)
    products = rng.sample(pool, k=min(count, len(pool)))
    lines = []
    for product in products:
        line = LineInput(product=product.pk, quantity=_quantity(world, product, spec.kind))
        if plan.deviation in ("discount", "floor") and not lines:
            # above the manager's cap; deep enough to go below the price floor
            line.discount_percent = Decimal(
                rng.choice([8, 10, 12]) if plan.deviation == "discount" else rng.choice([18, 20])
            )
        elif rng.random() < 0.25:
            line.discount_percent = min(
                Decimal(rng.choice([1, 2, 3, 5])), contract.max_manual_discount
            )
        elif (
            contract.price_list.code == "WHOLESALE"
            and spec.manager != "head"
            and rng.random() < 0.04
        ):
            # a special price agreed for a big lot
            line.unit_price = (product.cost_price * Decimal("1.12")).quantize(CENT)
        if rng.random() < 0.1:
            line.requested_delivery_date = plan.date + dt.timedelta(days=rng.randint(3, 21))
        lines.append(line)
    if plan.schedule:
        line = max(lines, key=lambda li: li.quantity)
        if line.quantity < 4 or line.quantity != line.quantity.to_integral_value():
            line.quantity = Decimal(max(4, int(line.quantity)))
        parts = rng.choice([2, 3])
        share = (line.quantity / parts).to_integral_value(rounding=ROUND_FLOOR)
        line.schedule = [
            (plan.date + dt.timedelta(days=7 * (k + 1)), share) for k in range(parts - 1)
        ]
        line.schedule.append(
            (plan.date + dt.timedelta(days=7 * parts), line.quantity - share * (parts - 1))
        )
    if spec.delivery == "own" and spec.kind != "construction" and rng.random() < 0.12:
        lines.append(LineInput(product=world.products[data.DELIVERY_SERVICE].pk, quantity=1))
    return lines


def _longer_terms(contract: Contract) -> dict[str, Any]:
    """The head gives his own customer longer terms than the contract's, or lets a customer
    on the longest terms pay by card (deviations the credit controller approves)."""
    longer = {"prepay100": "half50", "half50": "net30", "net14": "net30"}
    code = longer.get(contract.payment_terms.code)
    if code is None:
        return {"payment_method": PaymentMethod.objects.get(code="card")}
    return {"payment_terms": PaymentTerms.objects.get(code=code)}


def _edit_draft(world: World, order: Order, by, spec: data.CustomerSpec) -> None:
    rng = world.rng
    action = rng.choice(["quantity", "add", "note"])
    if action == "quantity":
        line = order.lines.order_by("position").first()
        more = nice_quantity(float(line.quantity) * rng.uniform(1.1, 1.6), line.unit)
        if more != line.quantity and not line.schedule.exists():
            order_line_update(by=by, order=order, line_id=line.pk, quantity=more)
            return
    if action == "add":
        taken = set(order.lines.values_list("product_id", flat=True))
        choices = [p for p in _pool(world, spec.kind) if p.pk not in taken]
        product = rng.choice(choices)
        order_line_add(
            by=by,
            order=order,
            line=LineInput(product=product.pk, quantity=_quantity(world, product, spec.kind)),
        )
        return
    order_update(by=by, order=order, comment=rng.choice(data.DRAFT_NOTES))


def _amend(world: World, order: Order, by, spec: data.CustomerSpec) -> None:
    rng = world.rng
    kind = rng.choice(["more", "more", "less", "add", "date"])
    lines = list(order.lines.prefetch_related("schedule").order_by("position"))
    plain = [li for li in lines if not li.schedule.all()]
    if kind in ("more", "less") and plain:
        line = rng.choice(plain)
        factor = rng.uniform(1.2, 1.8) if kind == "more" else rng.uniform(0.5, 0.8)
        qty = nice_quantity(float(line.quantity) * factor, line.unit)
        if qty != line.quantity:
            order_amend(
                by=by,
                order=order,
                reason=data.AMEND_REASONS[kind],
                update={line.pk: {"quantity": qty}},
            )
            return
    if kind == "date" and order.requested_delivery_date:
        order_amend(
            by=by,
            order=order,
            reason=data.AMEND_REASONS["date"],
            header={
                "requested_delivery_date": order.requested_delivery_date
                + dt.timedelta(days=rng.randint(3, 10))
            },
        )
        return
    taken = {li.product_id for li in lines}
    product = rng.choice([p for p in _pool(world, spec.kind) if p.pk not in taken])
    order_amend(
        by=by,
        order=order,
        reason=data.AMEND_REASONS["add"],
        add=[LineInput(product=product.pk, quantity=_quantity(world, product, spec.kind))],
    )


def _cancel(world: World, order: Order, by, plan: Plan) -> Order:
    comment = world.rng.choice(data.CANCEL_COMMENTS) if plan.cancel_reason == "other" else ""
    return order_cancel(by=by, order=order, reason=plan.cancel_reason, comment=comment)
