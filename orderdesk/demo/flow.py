"""Quote to cash in the demo: approval rules and credit limits set up front, then each order
goes on from its draft the way a real one does — submitted (approval by the rules, credit
control), released, shipped in one or more parts, invoiced, paid — each step through the
service a person would use, acting as that person, on the day it happened.

Services that take a date get the day of the step (the shipment's date, an invoice posted on
the day the goods left, a payment's date); what a service dates "today" only (confirmation's
rate, a stock receipt, an approval decision) stays dated today. The documents are made as
drafts by the billing policy during the load and posted by the accountant on their day; the
company default policy is back to "post at once" when the load ends.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import Any

from orderdesk.approvals.models import ApprovalStatus, ApprovalTask, TaskStatus
from orderdesk.approvals.services import rule_save
from orderdesk.billing.models import BillingPolicy, CreditNote, DocumentStatus, Invoice
from orderdesk.billing.services import (
    cash_receipt_create,
    document_delete,
    document_post,
    payment_create,
)
from orderdesk.catalog.models import StockBalance
from orderdesk.credit.services import check_overdue, limit_set
from orderdesk.customers.models import Customer
from orderdesk.fulfillment.models import Reservation, Shipment
from orderdesk.fulfillment.selectors import line_states
from orderdesk.fulfillment.services import (
    close_if_done,
    line_cancel,
    order_release_due,
    release_due_orders,
    shipment_create,
    stock_receive,
)
from orderdesk.fulfillment.services import (
    order_release as release_to_warehouse,
)
from orderdesk.orders.choices import FulfillmentStatus, OrderStatus
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import (
    order_cancel,
    order_decide,
    order_line_update,
    order_release,
    order_submit,
)
from orderdesk.pricing.services.limits import pricing_limits_update
from orderdesk.receivables.models import OpenItem

from . import data
from .master import nice_quantity
from .world import ORDER_DAYS, World

ZERO = Decimal(0)


# --- set-up: rules, limits, the load's billing policy ------------------------------------------


def load_rules(world: World) -> None:
    """The administrator's approval rules and company limits, the credit controller's
    limits; the billing policy that leaves the documents for the accountant to post."""
    admin, head = world.users["admin"], world.users["head"]
    pricing_limits_update(
        by=admin,
        min_margin_percent=data.MIN_MARGIN_PERCENT,
        order_amount_threshold=data.ORDER_AMOUNT_THRESHOLD,
    )
    head_stage = {"role": "sales_head", "deadline_hours": 24}
    credit_stage = {"role": "credit_controller", "deadline_hours": 24}
    rules = [
        ("Ручна знижка понад ліміт менеджера", "discount_over_cap", [head_stage]),
        (
            "Ціна нижче мінімальної (собівартість + 3 %)",
            "price_below_floor",
            [
                head_stage,
                {
                    "role": "administrator",
                    "min_amount": data.FLOOR_SECOND_STAGE_FROM,
                    "deadline_hours": 48,
                },
            ],
        ),
        ("Відстрочка довша за договірну", "payment_terms_longer", [credit_stage]),
        ("Передоплата менша за договірну", "prepayment_lower", [credit_stage]),
        ("Спосіб оплати інший, ніж у договорі", "payment_method_differs", [credit_stage]),
        (
            f"Замовлення понад {data.ORDER_AMOUNT_THRESHOLD:,} грн".replace(",", "\u00a0"),
            "order_amount_over_threshold",
            # the head approves; the director when the head entered the order himself
            [{"users": [head.pk, admin.pk], "mode": "any", "deadline_hours": 24}],
        ),
        (
            "Перевищення кредитного ліміту на прохання продажів",
            "credit_override_requested",
            [credit_stage, {"role": "administrator", "deadline_hours": 48}],
        ),
    ]
    for name, kind, stages in rules:
        rule_save(by=admin, name=name, kind=kind, stages=stages)
    world.policy = BillingPolicy.objects.create(is_default=True, post_automatically=False)


def load_limits(world: World) -> None:
    """Credit limits for most customers (the shops on full prepayment included, a few new
    ones without), in EUR for the EUR contracts, and one limit the retail chains share."""
    rng = world.rng
    credit = world.users["credit"]
    since = world.today - dt.timedelta(days=ORDER_DAYS + 30)
    for customer in Customer.objects.filter(active=True).order_by("pk"):
        spec = world.specs[customer.pk]
        if spec.slug not in data.STORY_CUSTOMERS and rng.random() < 0.12:
            continue  # new customers: no limit yet (entry shows "no limit")
        amount, mode, days = data.CREDIT_LIMITS[spec.kind]
        currency = "UAH"
        if spec.currency == "EUR":
            amount, currency = data.CREDIT_LIMITS_EUR, "EUR"
        if spec.slug == data.LATE_PAYER:
            mode = "warn"
        amount = int(amount * rng.choice([0.6, 0.8, 1, 1, 1.2, 1.5]))
        limit_set(
            by=credit,
            customer=customer,
            amount=amount,
            currency=currency,
            mode=mode,
            overdue_days=days,
            valid_from=since,
        )
    group_code, amount = data.GROUP_LIMIT
    group = world.customer_groups.get(group_code)
    if group is not None:
        limit_set(
            by=credit,
            group=group,
            amount=amount,
            mode="block_confirmation",
            overdue_days=30,
            valid_from=since,
        )


def cut_limit(world: World) -> None:
    """Three weeks ago the credit controller cut one retail customer's limit."""
    customer = Customer.objects.filter(email__endswith=f"@{data.LIMIT_CUT}.example").first()
    if customer is None:
        return
    limit_set(
        by=world.users["credit"],
        customer=customer,
        amount=data.LIMIT_CUT_AMOUNT,
        mode="block_confirmation",
        overdue_days=14,
        valid_from=world.today - dt.timedelta(days=data.LIMIT_CUT_DAYS),
    )


def finish(world: World) -> None:
    """The daily jobs as they run each morning (release what is due, block the customers
    whose overdue debt passes their tolerance) and the billing policy back to the built-in
    defaults. (The dashboards' summary is refreshed by the command once this commits.)"""
    release_due_orders(on=world.today)
    check_overdue(on=world.today)
    if world.policy is not None:
        world.policy.delete()
        world.policy = None


# --- submitting: approvals and credit control ------------------------------------------------


def open_tasks(order: Order) -> list[ApprovalTask]:
    return list(
        ApprovalTask.objects.filter(
            approval__subject_type="order",
            approval__subject_id=order.pk,
            approval__status=ApprovalStatus.PENDING,
            status=TaskStatus.OPEN,
        )
        .select_related("assignee")
        .order_by("stage__position", "pk")
    )


def decide(world: World, order: Order, decision: str, comment: str = "") -> Order:
    """The first open task's assignee decides; for an approval, each stage in turn until
    the approval ends (an author of the order is never an assignee)."""
    while order.status == OrderStatus.PENDING_APPROVAL:
        tasks = open_tasks(order)
        if not tasks:
            break
        task = tasks[0]
        text = comment
        if not text and decision == "approve":
            credit_role = task.assignee.groups.filter(name="credit_controller").exists()
            text = world.rng.choice(
                data.CREDIT_APPROVE_COMMENTS if credit_role else data.APPROVE_COMMENTS
            )
        order = order_decide(by=task.assignee, order=order, decision=decision, comment=text)
        if decision != "approve":
            break
    return order


def submit(world: World, plan, order: Order, by) -> Order:
    """Submit the draft. Rules that fire send it to approval: the plan says whether it
    waits there, is returned for rework (and comes back within the cap), rejected or
    approved. Credit control may then hold it: a recent hold waits in the release queue,
    the first older one is released once with a comment, later ones are cancelled."""
    rng = world.rng
    order = order_submit(by=by, order=order)
    if order.status == OrderStatus.PENDING_APPROVAL:
        outcome = plan.approval or "approve"
        if outcome == "pending":
            world.order_flags["waiting for approval"] += 1
            return order
        if outcome == "reject":
            world.order_flags["rejected"] += 1
            return decide(world, order, "reject", rng.choice(data.REJECT_COMMENTS))
        if outcome == "return":
            order = decide(world, order, "return", rng.choice(data.RETURN_COMMENTS))
            world.order_flags["returned for rework"] += 1
            _within_cap(order, by)
            order = order_submit(by=by, order=order)
        order = decide(world, order, "approve")
    if order.status == OrderStatus.CREDIT_HOLD:
        age = (world.today - plan.date).days
        if age <= 14:
            world.order_flags["in credit hold"] += 1
        elif not world.hold_released:
            world.hold_released = True
            order = order_release(
                by=world.users["credit"], order=order, comment=data.HOLD_RELEASE_COMMENT
            )
            world.order_flags["released from credit hold"] += 1
        else:
            overdue = world.specs[order.customer_id].slug in data.BAD_PAYERS
            order = order_cancel(
                by=by,
                order=order,
                reason="other" if overdue else "customer_refused",
                comment=data.OVERDUE_CANCEL_COMMENT if overdue else "",
            )
            world.order_flags["cancelled in credit hold"] += 1
    return order


def after_amend(world: World, order: Order) -> Order:
    """A material amendment may reopen approval: the approvers decide again."""
    order.refresh_from_db()
    if order.status == OrderStatus.PENDING_APPROVAL:
        order = decide(world, order, "approve")
    return order


def _within_cap(order: Order, by) -> None:
    """Rework after a return: the manual discounts back within the contract's cap."""
    cap = order.contract.max_manual_discount if order.contract else Decimal(5)
    cap = min(cap, Decimal(5))
    for line in order.lines.filter(manual_discount_percent__gt=cap).order_by("position"):
        order_line_update(by=by, order=order, line_id=line.pk, discount_percent=cap)


# --- warehouse, documents and money ----------------------------------------------------------


def carry_out(world: World, plan, order: Order) -> None:
    """From confirmation on: prepayment, release, shipments (in parts for some, by the
    schedule's dates for scheduled lines), a cancelled remainder now and then, documents
    posted on their day, payments by the customer's habits, closing when done and paid."""
    if order.status != OrderStatus.CONFIRMED:
        return
    rng = world.rng
    spec = world.specs[order.customer_id]
    today = world.today
    start = plan.date
    _post_drafts(world, order, start)
    # prepayment first when the terms ask for it (the release waits for it)
    prepaid_on = start
    if _open_items(order):
        prepaid_on = start + dt.timedelta(days=rng.randint(0, 3))
        if prepaid_on > today or (spec.slug == data.OVERDUE_BLOCKED and _stopped(world, start)):
            world.order_flags["awaiting prepayment"] += 1
            return
        _pay(world, order, prepaid_on, share=Decimal(1), prepayment=True)
    if plan.pay == "queue":
        # an urgent pick-up: in the warehouse's queue, not shipped yet (released at the
        # confirmation when nothing blocked it, else the head releases it by hand)
        order.refresh_from_db(fields=["fulfillment_status"])
        if order.fulfillment_status == FulfillmentStatus.NOT_RELEASED:
            release_to_warehouse(by=world.users["head"], order=order.pk)
        world.order_flags["in the warehouse queue"] += 1
        return
    old = (today - start).days > 45
    # now and then an old order waits for the supplier: its last line has not shipped
    stuck = (
        plan.state == "confirmed"
        and old
        and spec.slug not in data.BAD_PAYERS
        and rng.random() < 0.3
    )
    ship_on = max(
        prepaid_on,
        order.requested_delivery_date or start + dt.timedelta(days=rng.randint(1, 4)),
    )
    if plan.state == "closed":
        ship_on = min(ship_on, today)
    dates = _ship_dates(world, order, ship_on)
    split = order.partial_shipment_allowed and len(dates) == 1 and rng.random() < 0.25
    cancel_rest = plan.state in ("closed", "confirmed") and rng.random() < 0.08
    shipped_any = False
    for day in dates:
        if day > today:
            break
        if shipped_any:
            # the next part goes when the earlier ones are paid for (credit control reads
            # the ledger as it is now: a part unpaid now would stop the release as overdue)
            _pay_invoices(world, plan, order, by_day=day)
        order_release_due(order=order, on=day)  # the morning's release of what is due
        if not _released(order):
            break  # nothing due yet, or the gate holds it (credit, prepayment)
        if plan.state != "closed" and (today - day).days < 2:
            world.order_flags["in the warehouse queue"] += 1
            break  # released today or yesterday: the warehouse has not shipped it yet
        lines = _to_ship(order)
        if not lines:
            continue
        if stuck and day == dates[-1] and len(lines) > 1:
            lines = lines[:-1]  # the last line waits for the supplier
        if split:
            first = [(li, _part(li, qty)) for li, qty in lines]
            first = [(li, q) for li, q in first if q > 0] or lines
            _ship(world, order, first, day)
            shipped_any = True
            second_day = day + dt.timedelta(days=rng.randint(3, 10))
            if plan.state == "closed":
                second_day = min(second_day, today)
            if second_day <= today and not stuck:
                if cancel_rest:
                    _cancel_rest(world, order, second_day)
                    cancel_rest = False
                rest = _to_ship(order)
                if rest:
                    _ship(world, order, rest, second_day)
            world.order_flags["shipped in parts"] += 1
        else:
            if cancel_rest and len(lines) > 1 and not stuck:
                _ship(world, order, lines[:-1], day)
                _cancel_rest(world, order, day)
                cancel_rest = False
            else:
                _ship(world, order, lines, day)
        shipped_any = True
    if not shipped_any:
        return
    _pay_invoices(world, plan, order)
    close_if_done(order=order.pk)


def _stopped(world: World, day: dt.date) -> bool:
    """The blocked customer stopped paying some six weeks ago."""
    return (world.today - day).days <= data.STOPPED_PAYING_DAYS


def drop_drafts(world: World, order: Order) -> None:
    """Before a confirmed order is cancelled the accountant deletes its draft documents (the
    prepayment invoice made at confirmation)."""
    for pk in Invoice.objects.filter(order=order, status=DocumentStatus.DRAFT).values_list(
        "pk", flat=True
    ):
        document_delete(by=world.users["accountant"], doc_type="invoice", pk=pk)


def _post_drafts(world: World, order: Order, on: dt.date) -> None:
    """The accountant posts the drafts the policy made for the order (a prepayment invoice at
    confirmation, a credit note for a cancelled invoiced quantity) on the day of the step."""
    accountant = world.users["accountant"]
    for pk in Invoice.objects.filter(order=order, status=DocumentStatus.DRAFT).values_list(
        "pk", flat=True
    ):
        document_post(by=accountant, doc_type="invoice", pk=pk, on=on)
    for pk in CreditNote.objects.filter(order=order, status=DocumentStatus.DRAFT).values_list(
        "pk", flat=True
    ):
        document_post(by=accountant, doc_type="credit_note", pk=pk, on=on)


def _open_items(order: Order, **filters: Any) -> list[OpenItem]:
    return list(
        OpenItem.objects.filter(
            order_id=order.pk, side="debit", open_amount__gt=0, **filters
        ).order_by("due_date", "pk")
    )


def _ship_dates(world: World, order: Order, first: dt.date) -> list[dt.date]:
    """The days goods leave: the first day, then each later date a line asks for (its
    requested date, its schedule's dates)."""
    dates = {first}
    for line in order.lines.prefetch_related("schedule"):
        if line.requested_delivery_date:
            dates.add(max(line.requested_delivery_date, first))
        dates.update(max(e.date, first) for e in line.schedule.all())
    return sorted(dates)


def _released(order: Order) -> bool:
    order.refresh_from_db(fields=["fulfillment_status"])
    return order.fulfillment_status != "not_released"


def _to_ship(order: Order) -> list[tuple[OrderLine, Decimal]]:
    """Each line's released quantity not shipped yet (what the shipment page prefills)."""
    return [(st.line, st.to_ship) for st in line_states(order) if st.to_ship > 0]


def _part(line: OrderLine, qty: Decimal) -> Decimal:
    """About 60 % of a quantity, in whole units."""
    part = (qty * Decimal("0.6")).to_integral_value()
    return part if 0 < part < qty else ZERO


def _ship(world: World, order: Order, lines: list[tuple[OrderLine, Decimal]], day) -> None:
    """Goods leave: the supplier's delivery first when the shelf is short, then the
    shipment; the accountant posts its invoice and delivery note on the day."""
    _restock(world, order, lines)
    shipment = shipment_create(
        by=world.users["warehouse"], order=order.pk, lines=lines, shipped_on=day
    )
    accountant = world.users["accountant"]
    shipment = Shipment.objects.select_related("invoice", "delivery_note").get(pk=shipment.pk)
    for doc_type, doc in (("invoice", shipment.invoice), ("delivery_note", shipment.delivery_note)):
        if doc is not None and doc.status == DocumentStatus.DRAFT:
            document_post(by=accountant, doc_type=doc_type, pk=doc.pk, on=day)


def _restock(world: World, order: Order, lines: list[tuple[OrderLine, Decimal]]) -> None:
    """A supplier's delivery for each line the shelf cannot serve. A receipt first serves
    the backorders waiting for the product (when the warehouse reserves on receipt), so the
    shelf is looked at again after each one."""
    rng = world.rng
    for line, qty in lines:
        for _attempt in range(6):
            balance = StockBalance.objects.get(
                warehouse_id=order.warehouse_id, product_id=line.product_id
            )
            held = (
                Reservation.objects.filter(line_id=line.pk)
                .values_list("quantity", flat=True)
                .first()
                or ZERO
            )
            short = qty - (balance.on_hand - balance.reserved + held)
            if short <= 0:
                break
            lot = nice_quantity(float(short) * rng.uniform(1.5, 3), line.unit)
            stock_receive(
                by=world.users["warehouse"],
                product=line.product_id,
                warehouse=order.warehouse_id,
                quantity=max(lot, short.to_integral_value(rounding=ROUND_CEILING)),
                comment=rng.choice(data.RECEIPT_COMMENTS).format(rng.randint(10000, 99999)),
            )


def _cancel_rest(world: World, order: Order, day: dt.date) -> None:
    """The last open line's remainder is cancelled with a reason."""
    rng = world.rng
    open_lines = [li for li, _q in _open_lines(order)]
    if not open_lines:
        return
    reasons, weights = zip(*data.LINE_CANCEL_REASONS.items(), strict=True)
    reason = rng.choices(reasons, weights)[0]
    line_cancel(
        by=world.users[world.specs[order.customer_id].manager],
        order=order.pk,
        line=open_lines[-1].pk,
        reason=reason,
        comment=rng.choice(data.LINE_CANCEL_COMMENTS) if reason == "other" else "",
    )
    world.order_flags["with a cancelled line"] += 1
    _post_drafts(world, order, day)


def _open_lines(order: Order) -> list[tuple[OrderLine, Decimal]]:
    out = []
    for line in order.lines.order_by("position"):
        left = line.quantity - line.cancelled_quantity - line.shipped_quantity
        if left > 0:
            out.append((line, left))
    return out


def _pay_invoices(world: World, plan, order: Order, by_day: dt.date | None = None) -> None:
    """The customer pays what the invoices ask by its habits: most on time or a little
    late, some in part; the late payer pays half of its old invoices months late or not at
    all; the blocked customer stopped paying. A payment dated after today is not made yet.
    `by_day`: before the next part ships, what is open is paid by that day."""
    rng = world.rng
    slug = world.specs[order.customer_id].slug
    today = world.today
    items = _open_items(order)
    if not items:
        return
    due = max(i.due_date or i.posting_date for i in items)
    posted = max(i.posting_date for i in items)
    if slug == data.OVERDUE_BLOCKED and _stopped(world, plan.date):
        world.order_flags["unpaid, overdue"] += 1
        return
    if slug == data.LATE_PAYER and plan.state != "closed" and (plan.pay or rng.random() < 0.6):
        if plan.pay == "none" or (not plan.pay and rng.random() < 0.5):
            world.order_flags["unpaid, overdue"] += 1
            return
        share = Decimal(rng.choice(["0.3", "0.5"]))
        pay_on = max(posted, min(due + dt.timedelta(days=rng.randint(5, 30)), today))
        _pay(world, order, pay_on, share=share)
        world.order_flags["paid in part"] += 1
        return
    pay_on = max(posted, due + dt.timedelta(days=rng.randint(-6, 8)))
    if plan.state == "closed":
        pay_on = min(pay_on, today)
    if by_day is not None:
        _pay(world, order, max(posted, min(pay_on, by_day)), share=Decimal(1))
        return
    if pay_on > today:
        return  # not due or not paid yet
    if plan.state != "closed" and rng.random() < 0.12:
        # half now, the rest a couple of weeks later (if that day has come)
        _pay(world, order, pay_on, share=Decimal("0.5"))
        world.order_flags["paid in part"] += 1
        rest_on = pay_on + dt.timedelta(days=rng.randint(7, 20))
        if rest_on <= today:
            _pay(world, order, rest_on, share=Decimal(1))
        return
    overpay = rng.random() < 0.04
    _pay(world, order, pay_on, share=Decimal(1), overpay=overpay)
    if overpay:
        world.order_flags["overpaid"] += 1


def _pay(
    world: World,
    order: Order,
    on: dt.date,
    *,
    share: Decimal,
    prepayment: bool = False,
    overpay: bool = False,
) -> None:
    """One payment of `share` of what is open on the order: a bank transfer (the payer's
    bank reference, the invoice in the purpose), or cash at the desk for the shops that pay
    cash."""
    rng = world.rng
    items = _open_items(order)
    if not items:
        return
    open_total = sum((i.open_amount for i in items), ZERO)
    amount = (open_total * share).quantize(Decimal("0.01"))
    if overpay:
        amount = (open_total / 100).to_integral_value(rounding=ROUND_CEILING) * 100
        if amount == open_total:
            amount += 100
    if amount <= 0:
        return
    accountant = world.users["accountant"]
    spec = world.specs[order.customer_id]
    first = items[0]
    if spec.method == "cash" or (spec.delivery == "pickup" and rng.random() < 0.3):
        receipt = cash_receipt_create(
            by=accountant,
            customer=order.customer_id,
            amount=amount,
            currency=order.currency_id,
            order=order.pk,
            basis=data.CASH_BASIS.format(n=order.number),
        )
        document_post(by=accountant, doc_type="cash_receipt", pk=receipt.pk, on=on)
        return
    purpose = (
        data.PREPAYMENT_PURPOSE.format(n=order.number)
        if prepayment
        else data.PAYMENT_PURPOSE.format(
            n=first.doc_number, d=first.posting_date.strftime("%d.%m.%Y")
        )
    )
    world.bank_refs += 1
    payment_create(
        by=accountant,
        customer=order.customer_id,
        amount=amount,
        currency=order.currency_id,
        payment_date=on,
        order=order.pk,
        purpose=purpose,
        bank_reference=f"@2PL{on:%y%m%d}{world.bank_refs:05d}",
    )
