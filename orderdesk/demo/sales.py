"""Demo orders: half a year of them, each written through the order services acting as the
customer's manager (create, edit, confirm, amend, cancel, close), so each has real history."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from orderdesk.catalog.models import Product
from orderdesk.customers.models import Customer
from orderdesk.orders.models import Order
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_create,
    order_create_from_template,
    order_line_add,
    order_line_update,
    order_update,
    template_save,
)
from orderdesk.pricing.models import Contract

from . import data
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
    for plan in plans:
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
    forced = rng.sample(range(len(plans)), 9)
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
    for plan in plans:
        if plan.state == "cancelled" and not plan.cancel_reason:
            reasons, weights_ = zip(*data.CANCEL_REASONS.items(), strict=True)
            plan.cancel_reason = rng.choices(reasons, weights_)[0]
        if plan.state not in ("confirmed", "closed"):
            plan.amend = plan.amend and plan.cancel_confirmed
    return plans


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
        order = order_create(by=by, customer=customer, contract=contract.pk, lines=lines, **header)
        if plan.schedule:
            world.order_flags["with delivery schedule"] += 1

    if plan.edit_draft:
        _edit_draft(world, order, by, spec)
    if plan.state == "draft":
        return order
    if plan.state == "cancelled" and not plan.cancel_confirmed:
        return _cancel(world, order, by, plan)
    order_confirm(by=by, order=order)
    if plan.amend:
        _amend(world, order, by, spec)
        world.order_flags["amended"] += 1
    if plan.state == "cancelled":
        return _cancel(world, order, by, plan)
    if plan.state == "closed":
        order_close(by=by, order=order)
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
        if rng.random() < 0.25:
            line.discount_percent = min(
                Decimal(rng.choice([1, 2, 3, 5])), contract.max_manual_discount
            )
        elif contract.price_list.code == "WHOLESALE" and rng.random() < 0.04:
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
