"""A stateful property test of the whole order lifecycle, through the services.

Hypothesis drives a small company (one customer on 14-day terms, two products with little
stock, approval rules for prices below the list and discounts above the manager's cap, a
credit limit that blocks confirmation while the customer is blocked) through random runs of
the daily work: enter and edit orders, submit, approve / reject / return, confirm (credit
control may hold), release holds, amend, release to the warehouse, ship in parts, cancel a
line's remainder, invoice, pay (bank and cash), credit returned goods, cancel orders, block
and unblock the customer, receive and reserve stock.

A model beside the database predicts every outcome: which call is refused with which code,
the order's status and fulfillment state, quantities per line (ordered, shipped, cancelled,
invoiced, released, reserved), stock, the order's ledger (invoiced, credited, open) and when
it is paid and closes itself. After every step the invariant registry (`orderdesk reconcile`)
must find nothing and the database must say what the model says; at the end the audit
chain verifies.

Each example runs inside a savepoint that is rolled back, so every example starts from the
same data; the reactions that run after a commit (`transaction.on_commit`) are run at the
end of each step. Longer runs: ORDERDESK_STATEFUL_EXAMPLES / ORDERDESK_STATEFUL_STEPS
(see docs/development.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test import TestCase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orderdesk.approvals import services as approvals
from orderdesk.audit.selectors import verify_chain
from orderdesk.billing.models import BillingPolicy, CreditNote, Invoice, InvoiceLine
from orderdesk.billing.services import (
    cash_receipt_create,
    credit_note_create,
    document_post,
    invoice_create,
    payment_create,
)
from orderdesk.catalog.models import StockBalance
from orderdesk.core import invariants
from orderdesk.core.errors import DomainError
from orderdesk.credit import services as credit
from orderdesk.customers.models import PaymentTerms
from orderdesk.fulfillment.models import ReleaseLine, Reservation
from orderdesk.fulfillment.services import (
    line_cancel,
    order_reserve,
    shipment_create,
    stock_receive,
)
from orderdesk.fulfillment.services import order_release as warehouse_release
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import (
    LineInput,
    order_amend,
    order_cancel,
    order_confirm,
    order_create,
    order_decide,
    order_line_update,
    order_release,
    order_return_to_draft,
    order_submit,
)
from orderdesk.receivables.models import OpenItem
from orderdesk.testing.factories import (
    CompanyProfileFactory,
    ContractFactory,
    CustomerFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    UserFactory,
    WarehouseFactory,
)

# PostgreSQL is where CI runs the full search; SQLite repeats a shorter one (same derandomized
# sequence, so its first examples are the same as PostgreSQL's)
_ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
EXAMPLES = int(os.environ.get("ORDERDESK_STATEFUL_EXAMPLES", "25" if _ON_POSTGRES else "10"))
STEPS = int(os.environ.get("ORDERDESK_STATEFUL_STEPS", "30"))

D = Decimal
ZERO = D(0)
CENT = D("0.01")
VAT = D(20)
MAX_OPEN_ORDERS = 3  # open at once (a run keeps a few orders busy, not many idle)
MAX_ORDERS = 8

# list price, a price below it (a deviation) and one above it, per product
PRICES = {
    "A": {"list": D(100), "below": D(90), "above": D(110)},
    "B": {"list": D(10), "below": D(9), "above": D(11)},
}
STOCK = {"A": D(40), "B": D(15)}
MANAGER_CAP = D(5)  # the seeded sales-manager cap (the contract allows 10)
DISCOUNTS = [0, 3, 5, 8]

DRAFT, PENDING, HOLD = "draft", "pending_approval", "credit_hold"
CONFIRMED, CLOSED, CANCELLED = "confirmed", "closed", "cancelled"
NOT_RELEASED, RELEASED = "not_released", "released"
PARTIAL, SHIPPED = "partially_shipped", "shipped"
WAREHOUSE_STATES = (RELEASED, PARTIAL, SHIPPED)
ACTIVE = (DRAFT, PENDING, HOLD, CONFIRMED)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the model ---------------------------------------------------------------------------------


@dataclass
class MLine:
    pk: int
    product: str
    qty: Decimal
    price: Decimal
    disc: Decimal
    shipped: Decimal = ZERO
    cancelled: Decimal = ZERO
    invoiced: Decimal = ZERO
    released: Decimal = ZERO
    reserved: Decimal = ZERO
    returned: Decimal = ZERO  # credited as returned goods

    @property
    def list_price(self) -> Decimal:
        return PRICES[self.product]["list"]

    @property
    def open(self) -> Decimal:
        return self.qty - self.cancelled - self.shipped

    @property
    def gross(self) -> Decimal:
        net = money(self.qty * self.price * (100 - self.disc) / 100)
        return net + money(net * VAT / 100)

    @property
    def deviates(self) -> bool:
        return self.disc > MANAGER_CAP or self.price < self.list_price


@dataclass
class MOrder:
    pk: int
    number: str
    lines: list[MLine]
    status: str = DRAFT
    fulfillment: str = NOT_RELEASED
    confirm_seq: int | None = None  # the order of first confirmations (confirmed_at)
    took_part: bool = False  # reserved for once (has reservation rows): its backorders count
    # credit control: [order amount, invoiced amount] while the order commits, the amount a
    # controller released the order for (the override)
    commitment: list[Decimal] | None = None
    override: Decimal | None = None
    # the order's ledger: what its posted invoices ask for, what payments and credit notes
    # give; the paid state as stored at the last refresh by billing
    debits: Decimal = ZERO
    credits: Decimal = ZERO
    stored_paid: bool = False
    order_invoice: bool = False  # a posted invoice of kind "order" exists

    @property
    def total(self) -> Decimal:
        return sum((li.gross for li in self.lines), ZERO)

    @property
    def deviates(self) -> bool:
        return any(li.deviates for li in self.lines)

    @property
    def shipped_any(self) -> bool:
        return any(li.shipped > 0 for li in self.lines)

    @property
    def complete(self) -> bool:
        return all(li.open <= 0 for li in self.lines)

    @property
    def uninvoiced(self) -> Decimal:
        return sum((max(ZERO, li.qty - li.cancelled - li.invoiced) for li in self.lines), ZERO)

    def ledger_paid(self) -> bool:
        return self.debits > 0 and self.credits >= self.debits and self.uninvoiced == 0

    def line(self, pk: int) -> MLine:
        return next(li for li in self.lines if li.pk == pk)


@dataclass
class World:
    admin: object
    manager: object
    head: object
    controller: object
    storekeeper: object
    accountant: object
    customer: object
    contract: object
    warehouse: object
    products: dict = field(default_factory=dict)


def build_world() -> World:
    """The company every example starts from (made once per test, kept by each rollback)."""
    warehouse = WarehouseFactory(code="MAIN", name="Основний склад")
    price_list = PriceListFactory(code="SF-WHOLESALE", name="Wholesale")
    products = {}
    for key, sku in (("A", "SF-NAIL"), ("B", "SF-SCREW")):
        products[key] = ProductFactory(
            sku=sku, cost_price=PRICES[key]["list"] / 2, balances=STOCK[key]
        )
        PriceListItemFactory(
            price_list=price_list, product=products[key], price=PRICES[key]["list"]
        )
    admin = UserFactory(username="sf_admin", roles=["administrator"])
    manager = UserFactory(username="sf_manager", roles=["sales_manager"])
    head = UserFactory(username="sf_head", roles=["sales_head"])
    controller = UserFactory(username="sf_controller", roles=["credit_controller"])
    storekeeper = UserFactory(username="sf_storekeeper", roles=["warehouse"])
    accountant = UserFactory(username="sf_accountant", roles=["accountant"])
    customer = CustomerFactory(short_name="Stateful", manager=manager)
    contract = ContractFactory(
        customer=customer,
        price_list=price_list,
        payment_terms=PaymentTerms.objects.get(code="net14"),
        max_manual_discount=D(10),
    )
    CompanyProfileFactory()
    for kind in ("price_below_list", "discount_over_cap"):
        approvals.rule_save(
            by=admin, name=kind, kind=kind, stages=[{"role": "sales_head", "mode": "any"}]
        )
    # a limit nobody reaches, in a mode that blocks: only a manual block stops an order
    credit.limit_set(
        by=controller, customer=customer, amount=D("100000000"), mode="block_confirmation"
    )
    return World(
        admin=admin,
        manager=manager,
        head=head,
        controller=controller,
        storekeeper=storekeeper,
        accountant=accountant,
        customer=customer,
        contract=contract,
        warehouse=warehouse,
        products=products,
    )


class Refused:
    """A step the service refused as the model predicted."""


REFUSED = Refused()

line_spec = st.tuples(
    st.sampled_from(["A", "B"]),
    st.integers(1, 12),
    st.sampled_from(["list", "list", "below", "above"]),
    st.sampled_from(DISCOUNTS),
)


class LifecycleMachine(RuleBasedStateMachine):
    world: World  # set by the test before the run

    def __init__(self):
        super().__init__()
        # every example in a savepoint of the test's transaction, rolled back in teardown
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.orders: list[MOrder] = []
        self.blocked = False
        self.per_order = False
        self.on_hand = dict(STOCK)
        self.reserved = {"A": ZERO, "B": ZERO}
        self.payments = 0
        self.confirmations = 0

    def teardown(self):
        try:
            if not connection.needs_rollback:
                _checked, broken = verify_chain()
                assert broken is None, f"audit chain broken: {broken}"
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------------------

    @property
    def w(self) -> World:
        return type(self).world

    def act(self, what: str, fn, expect: str | None = None):
        """Run one service call with its after-commit reactions; the model said `expect`
        (a refusal code) or success (None): anything else fails the run."""
        with TestCase.captureOnCommitCallbacks(execute=True):
            try:
                result = fn()
            except DomainError as exc:
                if expect is None:
                    raise AssertionError(
                        f"{what}: the model expected success, the service refused "
                        f"{exc.code}: {exc.detail}"
                    ) from exc
                assert exc.code == expect, (
                    f"{what}: the model expected {expect}, the service refused "
                    f"{exc.code}: {exc.detail}"
                )
                return REFUSED
        assert expect is None, f"{what}: the model expected {expect}, the service accepted"
        return result

    def having(self, *statuses: str, test=None) -> list[MOrder]:
        return [
            o
            for o in self.orders
            if (not statuses or o.status in statuses) and (test is None or test(o))
        ]

    def pick(self, data, candidates: list[MOrder]) -> MOrder:
        return data.draw(st.sampled_from(candidates), label="order")

    def free(self, product: str) -> Decimal:
        return self.on_hand[product] - self.reserved[product]

    def commit(self, o: MOrder, amount: Decimal) -> None:
        if o.commitment is None:
            o.commitment = [amount, ZERO]
        else:
            o.commitment[0] = amount

    def credit_holds(self, o: MOrder, amount: Decimal) -> bool:
        """Credit control stops the order at confirmation or amendment: the customer is
        blocked and no override covers `amount`."""
        return self.blocked and not (o.override is not None and o.override >= amount)

    def release_blocked(self, o: MOrder) -> bool:
        committed = (
            max(o.commitment[0] - o.commitment[1], ZERO) if o.commitment is not None else ZERO
        )
        return self.credit_holds(o, committed)

    def reserve(self, o: MOrder) -> None:
        o.took_part = True
        for li in sorted(o.lines, key=lambda x: x.pk):
            want = li.open - li.reserved
            if want > 0:
                grant = max(ZERO, min(want, self.free(li.product)))
                li.reserved += grant
                self.reserved[li.product] += grant

    def unreserve(self, li: MLine, keep: Decimal) -> None:
        """`li` gives back what it holds beyond `keep`, which goes at once to the
        backorders of the product (as a receipt's stock does), never back to `li`."""
        back = li.reserved - min(li.reserved, max(keep, ZERO))
        li.reserved -= back
        self.reserved[li.product] -= back
        if back > 0:
            self.serve_backorders(li.product, exclude=li)

    def due(self, o: MOrder) -> bool:
        return any(li.qty - li.cancelled - li.released > 0 for li in o.lines)

    def release(self, o: MOrder) -> None:
        for li in o.lines:
            room = li.qty - li.cancelled - li.released
            if room > 0:
                li.released += room
        if o.fulfillment == NOT_RELEASED:
            o.fulfillment = RELEASED

    def confirm(self, o: MOrder) -> None:
        """confirm_locked: held by credit control, or confirmed (committed; the first time
        reserved; released to the warehouse after the commit when nothing blocks)."""
        total = o.total
        if self.credit_holds(o, total):
            o.status = HOLD
            return
        o.status = CONFIRMED
        self.commit(o, total)
        if o.confirm_seq is None:
            self.confirmations += 1
            o.confirm_seq = self.confirmations
        self.reserve(o)  # every confirmation reserves what the open lines lack
        self.released_if_waiting(o)
        # a change approved after everything shipped and was paid closes the order (the
        # confirmation's ORDER_CHANGED, after the commit)
        self.maybe_close(o, checked=False)

    def released_if_waiting(self, o: MOrder) -> None:
        """A change of a confirmed order that waits for its first release releases what is due
        (after the commit) unless something blocks it."""
        if (
            o.status == CONFIRMED
            and o.fulfillment == NOT_RELEASED
            and not self.release_blocked(o)
            and self.due(o)
        ):
            self.release(o)

    def submit(self, o: MOrder) -> None:
        if o.deviates:
            o.status = PENDING
        else:
            self.confirm(o)

    def finish(self, o: MOrder) -> None:
        """A closed or cancelled order commits nothing and gives its reservations back."""
        o.commitment = None
        for li in o.lines:
            self.unreserve(li, ZERO)

    def refresh_paid(self, o: MOrder) -> None:
        o.stored_paid = o.ledger_paid()

    def maybe_close(self, o: MOrder, *, checked: bool) -> None:
        """The order closes itself when shipped (or the rest cancelled) and paid: checked by
        shipments and line cancellations (`checked`), and after any change of a paid,
        shipped order."""
        if (
            o.status == CONFIRMED
            and o.stored_paid
            and o.complete
            and o.shipped_any
            and (checked or o.fulfillment == SHIPPED)
        ):
            o.status = CLOSED
            self.finish(o)

    def fulfillment_after_shipping(self, o: MOrder) -> None:
        o.fulfillment = SHIPPED if o.complete else PARTIAL

    # --- set-up -------------------------------------------------------------------------------

    @initialize(per_order=st.booleans())
    def billing_policy(self, per_order):
        """Invoices per shipment (posted at once), or one invoice when the order has shipped."""
        self.per_order = per_order
        BillingPolicy.objects.create(
            contract=self.w.contract,
            is_default=False,
            invoice_mode="per_order" if per_order else "per_shipment",
        )

    # --- entry --------------------------------------------------------------------------------

    @initialize(lines=st.lists(line_spec, min_size=1, max_size=3))
    def first_order(self, lines):
        self.do_create(lines)

    @precondition(
        lambda self: len(self.having(*ACTIVE)) < MAX_OPEN_ORDERS and len(self.orders) < MAX_ORDERS
    )
    @rule(lines=st.lists(line_spec, min_size=1, max_size=3))
    def create_order(self, lines):
        self.do_create(lines)

    def do_create(self, lines) -> None:
        w = self.w
        inputs = [
            LineInput(
                product=w.products[p],
                quantity=D(q),
                unit_price=None if kind == "list" else PRICES[p][kind],
                discount_percent=D(disc),
            )
            for p, q, kind, disc in lines
        ]
        order = self.act(
            "create", lambda: order_create(by=w.manager, customer=w.customer, lines=inputs)
        )
        saved = list(order.lines.order_by("position"))
        self.orders.append(
            MOrder(
                pk=order.pk,
                number=order.number,
                lines=[
                    MLine(pk=li.pk, product=p, qty=D(q), price=PRICES[p][kind], disc=D(disc))
                    for li, (p, q, kind, disc) in zip(saved, lines, strict=True)
                ],
            )
        )

    @precondition(lambda self: self.having(DRAFT))
    @rule(
        data=st.data(),
        change=st.sampled_from(["quantity", "unit_price", "discount_percent"]),
        qty=st.integers(1, 12),
        kind=st.sampled_from(["list", "below", "above"]),
        disc=st.sampled_from(DISCOUNTS),
    )
    def edit_draft_line(self, data, change, qty, kind, disc):
        o = self.pick(data, self.having(DRAFT))
        li = data.draw(st.sampled_from(o.lines), label="line")
        value = {
            "quantity": D(qty),
            "unit_price": PRICES[li.product][kind],
            "discount_percent": D(disc),
        }[change]
        expect = None
        if change == "quantity" and value < li.shipped + li.cancelled:
            expect = "quantity_below_shipped"  # a draft back from a hold keeps its shipments
        done = self.act(
            "edit draft line",
            lambda: order_line_update(
                by=self.w.manager, order=o.pk, line_id=li.pk, **{change: value}
            ),
            expect,
        )
        if done is REFUSED:
            return
        if change == "quantity":
            li.qty = value
        elif change == "unit_price":
            li.price = value
        else:
            li.disc = value

    # --- approval and confirmation ------------------------------------------------------------

    @precondition(lambda self: self.having(DRAFT))
    @rule(data=st.data(), how=st.sampled_from(["submit", "confirm"]))
    def submit_draft(self, data, how):
        self.do_submit(self.pick(data, self.having(DRAFT)), how)

    def do_submit(self, o: MOrder, how: str = "submit") -> None:
        service = order_submit if how == "submit" else order_confirm
        self.act(how, lambda: service(by=self.w.manager, order=o.pk))
        self.submit(o)

    @precondition(lambda self: self.having(PENDING))
    @rule(data=st.data())
    def approve(self, data):
        self.do_approve(self.pick(data, self.having(PENDING)))

    def do_approve(self, o: MOrder) -> None:
        self.act(
            "approve",
            lambda: order_decide(by=self.w.head, order=o.pk, decision="approve", comment="ok"),
        )
        self.confirm(o)

    @precondition(lambda self: self.having(PENDING))
    @rule(data=st.data(), decision=st.sampled_from(["reject", "return"]))
    def reject_or_return(self, data, decision):
        o = self.pick(data, self.having(PENDING))
        self.act(
            decision,
            lambda: order_decide(
                by=self.w.head, order=o.pk, decision=decision, comment="price too low"
            ),
        )
        o.status = DRAFT

    @precondition(lambda self: self.having(PENDING, HOLD))
    @rule(data=st.data())
    def take_back_to_draft(self, data):
        o = self.pick(data, self.having(PENDING, HOLD))
        self.act(
            "return to draft",
            lambda: order_return_to_draft(by=self.w.manager, order=o.pk, reason="rework"),
        )
        o.status = DRAFT

    @precondition(lambda self: self.blocked or self.having(DRAFT, PENDING))
    @rule()
    def block_or_unblock_customer(self):
        """Block the customer while an order waits for confirmation; lift the block."""
        w = self.w
        block = not self.blocked
        if block:
            self.act(
                "block",
                lambda: credit.block_set(by=w.controller, customer=w.customer, reason="audit"),
            )
        else:
            self.act(
                "unblock",
                lambda: credit.block_lift(by=w.controller, customer=w.customer, reason="ok"),
            )
        self.blocked = block

    @precondition(lambda self: self.having(HOLD))
    @rule(data=st.data())
    def release_credit_hold(self, data):
        self.do_release_hold(self.pick(data, self.having(HOLD)))

    def do_release_hold(self, o: MOrder) -> None:
        expect = None if o.status == HOLD else "order_not_held"
        done = self.act(
            "release hold",
            lambda: order_release(by=self.w.controller, order=o.pk, comment="known customer"),
            expect,
        )
        if done is REFUSED:
            return
        o.override = o.total
        self.confirm(o)

    # --- changing a confirmed order -----------------------------------------------------------

    @precondition(lambda self: self.having(CONFIRMED))
    @rule(
        data=st.data(),
        change=st.sampled_from(["quantity", "quantity", "unit_price", "discount_percent"]),
        qty=st.integers(1, 15),
        kind=st.sampled_from(["list", "below", "above"]),
        disc=st.sampled_from(DISCOUNTS),
    )
    def amend(self, data, change, qty, kind, disc):
        o = self.pick(data, self.having(CONFIRMED))
        li = data.draw(st.sampled_from(o.lines), label="line")
        value = {
            "quantity": D(qty),
            "unit_price": PRICES[li.product][kind],
            "discount_percent": D(disc),
        }[change]
        current = {"quantity": li.qty, "unit_price": li.price, "discount_percent": li.disc}[change]
        expect = None
        if change == "quantity" and value < li.shipped + li.cancelled:
            expect = "quantity_below_shipped"
        elif value == current:
            expect = "nothing_to_amend"
        done = self.act(
            "amend",
            lambda: order_amend(
                by=self.w.manager,
                order=o.pk,
                reason="customer asked",
                update={li.pk: {change: value}},
            ),
            expect,
        )
        if done is REFUSED:
            return
        # once something shipped the fulfillment state follows the new quantities (test_
        # lifecycle_bugs.test_amending_down_to_what_shipped_then_paying_closes_the_order), and
        # a line that needs less gives the rest of its reservation back, whatever the status
        before_total = o.total
        material = change != "quantity" or value > li.qty
        if change == "quantity":
            li.qty = value
            self.unreserve(li, li.open)
        elif change == "unit_price":
            li.price = value
        else:
            li.disc = value
        if o.shipped_any:
            o.fulfillment = SHIPPED if o.complete else PARTIAL
        self.refresh_paid(o)  # what is left to invoice may have moved: billing refreshes
        if material and o.deviates:  # approval again; nothing committed meanwhile
            o.status = PENDING
            o.commitment = None
            return
        if o.total > before_total and self.credit_holds(o, o.total):
            o.status = HOLD
            o.commitment = None
            return
        self.reserve(o)  # still confirmed: what a raised quantity lacks is reserved at once
        self.commit(o, o.total)
        self.released_if_waiting(o)
        self.maybe_close(o, checked=False)

    @precondition(lambda self: self.having(CONFIRMED))
    @rule(data=st.data(), whole=st.booleans(), qty=st.integers(1, 6))
    def cancel_line_remainder(self, data, whole, qty):
        o = self.pick(data, self.having(CONFIRMED))
        li = data.draw(st.sampled_from(o.lines), label="line")
        left = li.open
        quantity = None if whole else D(qty)
        expect = None
        if left <= 0:
            expect = "line_nothing_to_cancel"
        elif quantity is not None and quantity > left:
            expect = "cancel_exceeds_remainder"
        cancellation = self.act(
            "cancel line",
            lambda: line_cancel(
                by=self.w.manager,
                order=o.pk,
                line=li.pk,
                quantity=quantity,
                reason="out_of_stock",
            ),
            expect,
        )
        if cancellation is REFUSED:
            return
        li.cancelled += left if quantity is None else quantity
        self.unreserve(li, li.open)
        if o.order_invoice:  # billing credits the invoiced share of what will not ship
            note = CreditNote.objects.get(pk=cancellation.credit_note_id)
            o.credits += note.credit_amount
        else:
            assert cancellation.credit_note_id is None
        # less is left to invoice: billing refreshes the stored payment state (everything
        # invoiced paid and nothing left to invoice -> paid)
        self.refresh_paid(o)
        if o.shipped_any and o.complete:
            o.fulfillment = SHIPPED
        self.commit(
            o,
            money(sum((x.gross * (x.qty - x.cancelled) / x.qty for x in o.lines), ZERO)),
        )
        self.maybe_close(o, checked=True)

    @precondition(lambda self: self.having(*ACTIVE))
    @rule(data=st.data())
    def cancel_order(self, data):
        o = self.pick(data, self.having(*ACTIVE))
        expect = None
        if o.shipped_any:
            expect = "order_has_shipments"
        done = self.act(
            "cancel order",
            lambda: order_cancel(by=self.w.manager, order=o.pk, reason="customer_refused"),
            expect,
        )
        if done is REFUSED:
            return
        o.status = CANCELLED
        self.finish(o)

    WRONG_STATE = {
        # action: (the states that allow it, the refusal elsewhere)
        "edit": ((DRAFT,), "order_not_editable"),
        "submit": ((DRAFT,), "invalid_transition"),
        "amend": ((CONFIRMED,), "invalid_transition"),
        "approve": ((PENDING,), "invalid_transition"),
        "release_hold": ((HOLD,), "order_not_held"),
        "reserve": ((CONFIRMED,), "order_not_confirmed"),
        "release": ((CONFIRMED,), "order_not_confirmed"),
        "cancel": ((DRAFT, PENDING, HOLD, CONFIRMED), "invalid_transition"),
        "cancel_line": ((CONFIRMED,), "order_not_confirmed"),
    }

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), action=st.sampled_from(sorted(WRONG_STATE)))
    def action_in_wrong_state(self, data, action):
        """Each action is refused outside the states the transitions table allows it in."""
        allowed, code = self.WRONG_STATE[action]
        wrong = self.having(test=lambda o: o.status not in allowed)
        if not wrong:
            return
        o = self.pick(data, wrong)
        li = o.lines[0]
        w = self.w
        if action == "release" and o.status == HOLD:
            code = "order_on_credit_hold"
        calls = {
            "edit": lambda: order_line_update(by=w.manager, order=o.pk, line_id=li.pk, quantity=1),
            "submit": lambda: order_submit(by=w.manager, order=o.pk),
            "amend": lambda: order_amend(
                by=w.manager, order=o.pk, reason="x", update={li.pk: {"quantity": li.qty + 1}}
            ),
            "approve": lambda: order_decide(by=w.head, order=o.pk, decision="approve"),
            "release_hold": lambda: order_release(by=w.controller, order=o.pk, comment="x"),
            "reserve": lambda: order_reserve(by=w.manager, order=o.pk),
            "release": lambda: warehouse_release(by=w.head, order=o.pk),
            "cancel": lambda: order_cancel(by=w.manager, order=o.pk, reason="customer_refused"),
            "cancel_line": lambda: line_cancel(
                by=w.manager, order=o.pk, line=li.pk, reason="out_of_stock"
            ),
        }
        self.act(f"{action} in state {o.status}", calls[action], code)

    # --- the warehouse ------------------------------------------------------------------------

    @precondition(lambda self: self.having(CONFIRMED))
    @rule(product=st.sampled_from(["A", "B"]), qty=st.integers(1, 20))
    def receive_stock(self, product, qty):
        w = self.w
        self.act(
            "receive",
            lambda: stock_receive(
                by=w.storekeeper, product=w.products[product], warehouse=w.warehouse, quantity=qty
            ),
        )
        self.on_hand[product] += qty
        self.serve_backorders(product)

    def serve_backorders(self, product: str, exclude: MLine | None = None) -> None:
        """A receipt (or a line giving stock back: not to itself) reserves what is free for
        the confirmed orders' lines that lack stock, the earliest due (all are due on the day
        they were confirmed) first."""
        short = sorted(
            (
                (o.confirm_seq, o.pk, position, li)
                for o in self.having(CONFIRMED, test=lambda o: o.took_part)
                for position, li in enumerate(o.lines)
                if li.product == product
                and li is not exclude
                and li.open > 0
                and li.open > li.reserved
            ),
            key=lambda t: t[:3],
        )
        for *_key, li in short:
            take = min(li.open - li.reserved, self.free(product))
            if take <= 0:
                break
            li.reserved += take
            self.reserved[product] += take

    @precondition(lambda self: self.having(CONFIRMED))
    @rule(data=st.data())
    def reserve_stock(self, data):
        o = self.pick(data, self.having(CONFIRMED))
        self.act("reserve", lambda: order_reserve(by=self.w.manager, order=o.pk))
        self.reserve(o)

    @precondition(lambda self: self.having(CONFIRMED))
    @rule(data=st.data())
    def release_to_warehouse(self, data):
        self.do_release(self.pick(data, self.having(CONFIRMED)))

    def do_release(self, o: MOrder) -> None:
        expect = None
        if o.status == HOLD:
            expect = "order_on_credit_hold"
        elif o.status != CONFIRMED:
            expect = "order_not_confirmed"
        elif self.release_blocked(o):
            expect = "release_blocked"
        elif not self.due(o):
            expect = "nothing_to_release"
        done = self.act("release", lambda: warehouse_release(by=self.w.head, order=o.pk), expect)
        if done is not REFUSED:
            self.release(o)

    @precondition(
        lambda self: self.having(CONFIRMED, test=lambda o: o.fulfillment in WAREHOUSE_STATES)
    )
    @rule(data=st.data())
    def ship(self, data):
        o = self.pick(
            data, self.having(CONFIRMED, test=lambda o: o.fulfillment in WAREHOUSE_STATES)
        )
        chosen = data.draw(
            st.lists(
                st.sampled_from(o.lines),
                min_size=1,
                max_size=len(o.lines),
                unique_by=lambda li: li.pk,
            ),
            label="lines",
        )
        wanted = []
        for li in chosen:
            ready = max(ZERO, min(li.released - li.shipped, li.open))
            wanted.append((li, D(data.draw(st.integers(1, int(ready) + 2), label="quantity"))))
        self.do_ship(o, wanted)

    def do_ship(self, o: MOrder, wanted: list[tuple[MLine, Decimal]]) -> None:
        expect = self.shipment_refusal(wanted)
        shipment = self.act(
            "ship",
            lambda: shipment_create(
                by=self.w.storekeeper, order=o.pk, lines=[(li.pk, q) for li, q in wanted]
            ),
            expect,
        )
        if shipment is REFUSED:
            return
        for li, q in wanted:
            own = min(q, li.reserved)
            li.shipped += q
            li.reserved -= own
            self.reserved[li.product] -= own
            self.on_hand[li.product] -= q
        self.fulfillment_after_shipping(o)
        invoice = shipment.invoice
        if not self.per_order:
            for li, q in wanted:
                li.invoiced += q
            assert invoice is not None and invoice.status == "posted"
        elif o.fulfillment == SHIPPED and o.uninvoiced > 0:
            for li in o.lines:
                li.invoiced = li.qty - li.cancelled
            assert invoice is not None and invoice.kind == "order"
            o.order_invoice = True
        else:
            assert invoice is None
        if invoice is not None:
            o.debits += invoice.payable_amount
        self.refresh_paid(o)  # the posted delivery note refreshes the payment state
        self.maybe_close(o, checked=True)

    def shipment_refusal(self, wanted: list[tuple[MLine, Decimal]]) -> str | None:
        for li, q in wanted:
            if li.open <= 0 and li.cancelled > 0:
                return "line_cancelled"
            if q > li.open:
                return "shipment_exceeds_ordered"
            if q > max(ZERO, min(li.released - li.shipped, li.open)):
                return "shipment_exceeds_released"
        on_hand, reserved = dict(self.on_hand), dict(self.reserved)
        for li, q in wanted:
            own = min(q, li.reserved)
            if q - own > on_hand[li.product] - reserved[li.product]:
                return "stock_insufficient"
            on_hand[li.product] -= q
            reserved[li.product] -= own
        return None

    # --- billing ------------------------------------------------------------------------------

    @precondition(lambda self: self.having(test=lambda o: o.shipped_any))
    @rule(data=st.data())
    def issue_invoice(self, data):
        self.do_invoice(self.pick(data, self.having(test=lambda o: o.shipped_any)))

    def do_invoice(self, o: MOrder) -> None:
        todo = [(li, li.shipped - li.invoiced) for li in o.lines if li.shipped > li.invoiced]
        expect = None
        if o.status not in (CONFIRMED, CLOSED):
            expect = "order_not_confirmed"
            todo = todo or [(next(li for li in o.lines if li.shipped > 0), D(1))]
        elif not todo:
            expect = "invoice_exceeds_shipped"  # everything shipped is invoiced already
            todo = [(next(li for li in o.lines if li.shipped > 0), D(1))]
        w = self.w

        def invoice_and_post():
            draft = invoice_create(
                by=w.accountant,
                order=o.pk,
                kind="shipment",
                lines=[(li.pk, q) for li, q in todo],
            )
            return document_post(by=w.accountant, doc_type="invoice", pk=draft.pk)

        invoice = self.act("invoice", invoice_and_post, expect)
        if invoice is REFUSED:
            return
        for li, q in todo:
            li.invoiced += q
        o.debits += invoice.payable_amount
        if o.commitment is not None:
            o.commitment[1] += invoice.payable_amount
        self.refresh_paid(o)
        self.maybe_close(o, checked=False)

    @precondition(lambda self: self.having(test=lambda o: o.confirm_seq is not None))
    @rule(
        data=st.data(),
        method=st.sampled_from(["bank", "cash"]),
        how_much=st.sampled_from(["open", "open", "half", "fixed"]),
    )
    def pay(self, data, method, how_much):
        self.do_pay(
            self.pick(data, self.having(test=lambda o: o.confirm_seq is not None)), method, how_much
        )

    def do_pay(self, o: MOrder, method: str, how_much: str) -> None:
        due = o.debits - o.credits
        amount = {
            "open": due if due > 0 else D(50),
            "half": money(due / 2) if due >= D("0.02") else D(50),
            "fixed": D(50),
        }[how_much]
        w = self.w
        self.payments += 1
        if method == "bank":
            self.act(
                "bank payment",
                lambda: payment_create(
                    by=w.accountant,
                    customer=w.customer,
                    amount=amount,
                    currency="UAH",
                    order=o.pk,
                    bank_reference=f"SF-{o.pk}-{self.payments}",
                ),
            )
        else:

            def receipt_and_post():
                receipt = cash_receipt_create(
                    by=w.accountant, customer=w.customer, amount=amount, order=o.pk
                )
                return document_post(by=w.accountant, doc_type="cash_receipt", pk=receipt.pk)

            self.act("cash receipt", receipt_and_post)
        o.credits += amount
        self.refresh_paid(o)
        self.released_if_waiting(o)
        self.maybe_close(o, checked=False)

    @precondition(lambda self: self.having(test=lambda o: o.shipped_any))
    @rule(data=st.data())
    def credit_returned_goods(self, data):
        o = self.pick(data, self.having(test=lambda o: o.shipped_any))
        li = data.draw(st.sampled_from([x for x in o.lines if x.shipped > 0]), label="line")
        qty = D(data.draw(st.integers(1, int(li.shipped) + 1), label="quantity"))
        # returns are credited at most once for what shipped, across all notes
        expect = "credit_exceeds_shipped" if li.returned + qty > li.shipped else None
        w = self.w

        def note_and_post():
            note = credit_note_create(
                by=w.accountant, order=o.pk, reason="return", lines=[(li.pk, qty)]
            )
            return document_post(by=w.accountant, doc_type="credit_note", pk=note.pk)

        note = self.act("credit note", note_and_post, expect)
        if note is REFUSED:
            return
        li.returned += qty
        o.credits += note.credit_amount
        self.refresh_paid(o)
        self.maybe_close(o, checked=False)

    # --- steering: the next step of the ordinary day --------------------------------------------

    @precondition(lambda self: self.having(*ACTIVE))
    @rule(data=st.data(), method=st.sampled_from(["bank", "cash"]))
    def advance(self, data, method):
        """Move an open order one step along the ordinary path (random runs rarely string
        the right steps together on their own)."""
        self.advance_one(self.pick(data, self.having(*ACTIVE)), method)

    @precondition(lambda self: self.having(*ACTIVE))
    @rule(data=st.data())
    def advance_again(self, data):
        self.advance_one(self.pick(data, self.having(*ACTIVE)), "bank")

    @precondition(lambda self: self.having(*ACTIVE))
    @rule(data=st.data())
    def advance_once_more(self, data):
        self.advance_one(self.pick(data, self.having(*ACTIVE)), "cash")

    def advance_one(self, o: MOrder, method: str) -> None:
        if o.status == DRAFT:
            self.do_submit(o)
        elif o.status == PENDING:
            self.do_approve(o)
        elif o.status == HOLD:
            self.do_release_hold(o)
        elif o.fulfillment == NOT_RELEASED or (self.due(o) and not self.release_blocked(o)):
            self.do_release(o)
        else:
            ready = [
                (li, min(li.released - li.shipped, li.open))
                for li in o.lines
                if min(li.released - li.shipped, li.open) > 0
            ]
            if ready:
                self.do_ship(o, ready)
            elif any(li.shipped > li.invoiced for li in o.lines):
                self.do_invoice(o)
            else:
                self.do_pay(o, method, "open")

    # --- after every step ---------------------------------------------------------------------

    @invariant()
    def reconcile_finds_nothing(self):
        violations = invariants.run()
        assert not violations, "\n".join(map(str, violations))

    @invariant()
    def database_says_what_the_model_says(self):
        """Every order, line, balance and ledger total as the model has it (a handful of
        queries for all orders together)."""
        pks = [o.pk for o in self.orders]
        orders = {
            row[0]: row[1:]
            for row in Order.objects.filter(pk__in=pks).values_list(
                "pk", "status", "fulfillment_status", "payment_status", "gross_amount"
            )
        }
        lines = {
            row[0]: row[1:]
            for row in OrderLine.objects.filter(order_id__in=pks).values_list(
                "pk",
                "order_id",
                "position",
                "quantity",
                "shipped_quantity",
                "cancelled_quantity",
                "unit_price",
                "manual_discount_percent",
            )
        }
        invoiced = dict(
            InvoiceLine.objects.filter(
                invoice__order_id__in=pks,
                invoice__status__in=["draft", "posted"],
                invoice__kind__in=["shipment", "order"],
            )
            .values("order_line_id")
            .annotate(q=Sum("quantity"))
            .values_list("order_line_id", "q")
        )
        reserved = dict(
            Reservation.objects.filter(order_id__in=pks).values_list("line_id", "quantity")
        )
        released = dict(
            ReleaseLine.objects.filter(release__order_id__in=pks)
            .values("line_id")
            .annotate(q=Sum("quantity"))
            .values_list("line_id", "q")
        )
        ledger: dict[tuple[int, str], tuple[Decimal, Decimal]] = {
            (order_id, side): (money(D(amount or 0)), money(D(still_open or 0)))
            for order_id, side, amount, still_open in OpenItem.objects.filter(order_id__in=pks)
            .values("order_id", "side")
            .annotate(a=Sum("amount"), o=Sum("open_amount"))
            .values_list("order_id", "side", "a", "o")
        }
        assert not Invoice.objects.filter(order_id__in=pks, status="draft").exists()
        assert set(lines) == {li.pk for o in self.orders for li in o.lines}
        for o in self.orders:
            status, fulfillment, payment, gross = orders[o.pk]
            where = f"order {o.number}"
            assert status == o.status, f"{where}: status {status}, model {o.status}"
            assert fulfillment == o.fulfillment, (
                f"{where}: fulfillment {fulfillment}, model {o.fulfillment}"
            )
            assert gross == o.total, f"{where}: total {gross}, model {o.total}"
            assert (payment == "paid") == o.stored_paid, (
                f"{where}: payment {payment}, model paid={o.stored_paid}"
            )
            for m in o.lines:
                order_id, position, qty, shipped, cancelled, price, disc = lines[m.pk]
                got = (
                    qty,
                    shipped,
                    cancelled,
                    D(invoiced.get(m.pk) or 0),
                    D(reserved.get(m.pk) or 0),
                    D(released.get(m.pk) or 0),
                    price,
                    disc,
                )
                want = (
                    m.qty, m.shipped, m.cancelled, m.invoiced, m.reserved, m.released,
                    m.price, m.disc,
                )  # fmt: skip
                assert order_id == o.pk and got == want, (
                    f"{where} line {position}: (qty, shipped, cancelled, invoiced, reserved,"
                    f" released, price, discount) {got}, model {want}"
                )
                # the model's own promises
                assert m.shipped <= m.qty - m.cancelled, f"{where}: shipped beyond ordered"
                assert m.invoiced <= m.shipped, f"{where}: invoiced beyond shipped"
            debits, open_debit = ledger.get((o.pk, "debit"), (ZERO, ZERO))
            credits, open_credit = ledger.get((o.pk, "credit"), (ZERO, ZERO))
            got = (debits, credits, open_debit, open_credit)
            want = (
                o.debits,
                o.credits,
                max(o.debits - o.credits, ZERO),
                max(o.credits - o.debits, ZERO),
            )
            assert got == want, (
                f"{where}: ledger (debits, credits, open debit, open credit) {got}, model {want}"
            )
        balances = {
            b.product_id: (b.on_hand, b.reserved)
            for b in StockBalance.objects.filter(warehouse=self.w.warehouse)
        }
        for key, product in self.w.products.items():
            on_hand, held = balances[product.pk]
            assert (on_hand, held) == (self.on_hand[key], self.reserved[key]), (
                f"stock {key}: (on hand, reserved) {(on_hand, held)}, "
                f"model {(self.on_hand[key], self.reserved[key])}"
            )
            assert 0 <= held <= on_hand, f"stock {key}: reserved beyond on hand"


SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.django_db
def test_order_lifecycle_keeps_every_invariant_and_the_model():
    LifecycleMachine.world = build_world()
    run_state_machine_as_test(LifecycleMachine, settings=SETTINGS)
