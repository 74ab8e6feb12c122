"""Credit services on their own: exposure arithmetic, commitments, the texts in numbers."""

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.credit import services
from orderdesk.credit.models import CreditAccount
from orderdesk.receivables import services as ledger
from orderdesk.receivables.models import OpenItem

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def controller(db):
    from orderdesk.testing.factories import UserFactory

    return UserFactory(username="cc", roles=["credit_controller"])


def test_exposure_counts_receivables_less_unallocated_credit_and_commitments(controller, customer):
    services.limit_set(by=controller, customer=customer, amount="1000000")
    today = dt.date.today()
    ledger.item_post(customer=customer, currency="UAH", side="debit", kind="invoice", doc_type="invoice",
                     doc_id=1, doc_number="I1", posting_date=today, due_date=today, amount=D("900000"),
                     rate=D("1"))  # fmt: skip
    ledger.item_post(customer=customer, currency="UAH", side="credit", kind="payment", doc_type="payment",
                     doc_id=2, doc_number="P1", posting_date=today, amount=D("100000"), rate=D("1"))  # fmt: skip
    services.commit(customer=customer, order_id=77, order_number="ЗМ-1", amount=D("100000"))
    a = services.check(customer=customer, amount=D("350000"), stage="confirm")
    assert (a.receivables, a.orders, a.this_order) == (
        D("800000.00"),
        D("100000.00"),
        D("350000.00"),
    )
    assert a.breaches[0]["text"] == (
        "exposure 1\u00a0250\u00a0000 UAH = open receivables 800\u00a0000 + orders 100\u00a0000 "
        "+ this order 350\u00a0000 > limit 1\u00a0000\u00a0000"
    )
    assert a.holds is False  # warn mode
    # the order's own commitment is not counted twice
    b = services.check(customer=customer, amount=D("100000"), stage="confirm", order_id=77)
    assert b.orders == D("0.00")


def test_commitment_rows_and_account_total_agree(controller, customer):
    services.commit(customer=customer, order_id=1, order_number="A", amount=D("100"))
    services.commit(customer=customer, order_id=2, order_number="B", amount=D("50"))
    services.commit(customer=customer, order_id=1, order_number="A", amount=D("80"))
    services.invoiced(order_id=2, amount=D("70"))  # more than committed: never below zero
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("80")
    services.commitment_release(order_id=1)
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("0")


def test_contract_limit_wins_over_the_customers(controller, customer, contract):
    services.limit_set(by=controller, customer=customer, amount="100", mode="warn")
    services.limit_set(by=controller, contract=contract, amount="50", mode="block_confirmation")
    a = services.check(customer=customer, amount=D("60"), stage="confirm", contract_id=contract.pk)
    assert (a.limit, a.mode, a.holds) == (D("50.00"), "block_confirmation", True)
    b = services.check(customer=customer, amount=D("60"), stage="confirm")
    assert (b.limit, b.mode, b.holds) == (D("100.00"), "warn", False)


def _item(customer, side, amount, *, due=None, currency="UAH", rate="1", number="I"):
    kind = "invoice" if side == "debit" else "payment"
    today = dt.date.today()
    return ledger.item_post(
        customer=customer, currency=currency, side=side, kind=kind, doc_type=kind, doc_id=1,
        doc_number=number, posting_date=today - dt.timedelta(days=90), due_date=due,
        amount=D(amount), rate=D(rate),
    )  # fmt: skip


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as q:
        fn()
    return len(q)


def test_receivables_come_from_the_stored_balance_whatever_the_item_count(controller, customer):
    """The check reads one balance row: the same queries at 3 and at 40 open items, and the
    figure is each item's open amount at its posting rate, rounded per item."""
    services.limit_set(by=controller, customer=customer, amount="1000000", overdue_days=30)
    later = dt.date.today() + dt.timedelta(days=30)
    _item(customer, "debit", "100.01", due=later, currency="USD", rate="41.123456")  # 4112.76
    _item(customer, "debit", "0.53", due=later)
    _item(customer, "credit", "0.47")

    def run():
        return services.check(customer=customer, amount=D("1"), stage="confirm")

    assert run().receivables == D("4112.82")
    before = _queries(run)
    for n in range(37):
        _item(customer, "debit", "1.01", due=later, number=f"N{n}")
    assert run().receivables == D("4112.82") + 37 * D("1.01")
    assert _queries(run) == before


def test_group_exposure_sums_the_members_balances(controller, customer):
    from orderdesk.testing.factories import CustomerFactory, CustomerGroupFactory

    group = CustomerGroupFactory()
    sister = CustomerFactory(group=group)
    customer.group = group
    customer.save()
    services.limit_set(by=controller, group=group, amount="1000")
    _item(customer, "debit", "600.10")
    _item(sister, "debit", "300.20")
    _item(sister, "credit", "0.30")
    a = services.check(customer=customer, amount=D("100"), stage="confirm")
    assert a.receivables == D("900.00")
    assert [b["code"] for b in a.breaches] == []
    b = services.check(customer=customer, amount=D("100.01"), stage="confirm")
    assert [x["code"] for x in b.breaches] == ["credit_group_limit_exceeded"]


def test_overdue_reads_the_overdue_items_only(controller, customer):
    """The oldest open debit past due and the overdue amount; current and paid items and
    credits do not count."""
    services.limit_set(by=controller, customer=customer, amount="1000000", overdue_days=10,
                       overdue_amount="100")  # fmt: skip
    today = dt.date.today()
    _item(customer, "debit", "1000", due=today + dt.timedelta(days=5))  # current
    _item(customer, "debit", "50.05", due=today - dt.timedelta(days=3))
    old = _item(customer, "debit", "70.10", due=today - dt.timedelta(days=40))
    _item(customer, "debit", "9.99", due=today - dt.timedelta(days=60), currency="USD",
          rate="41.123456")  # 410.82; reversed below  # fmt: skip
    _item(customer, "credit", "20")
    assert services.overdue_of([customer.pk], today) == (60, D("530.97"))
    paid = OpenItem.objects.get(currency_id="USD")
    ledger.item_reverse(by=None, item=paid, on=today, doc_type="credit_note", doc_id=5,
                        doc_number="KN")  # fmt: skip
    assert services.overdue_of([customer.pk], today) == (40, D("120.15"))
    a = services.check(customer=customer, amount=D("1"), stage="confirm")
    assert (a.overdue_days, a.overdue_amount) == (40, D("120.15"))
    assert [b["code"] for b in a.breaches] == ["credit_overdue"]
    ledger.allocate(by=None, debit=old, credit=_item(customer, "credit", "70.10"), amount=D("70.10"),
                    on=today)  # fmt: skip
    assert services.overdue_of([customer.pk], today) == (3, D("50.05"))


def test_committed_amount_is_kept_in_exact_decimals(controller, customer):
    amounts = ["0.10", "0.20", "0.53", "1234567890.47", "0.01"]
    for n, amount in enumerate(amounts):
        services.commit(customer=customer, order_id=100 + n, order_number=f"O{n}", amount=D(amount))
    services.invoiced(order_id=102, amount=D("0.47"))
    services.commitment_release(order_id=101)
    account = CreditAccount.objects.get(customer=customer)
    assert account.committed_amount == D("1234567890.64")
    assert account.committed_amount == sum(
        account.commitments.values_list("amount", flat=True), D(0)
    )


def test_reconcile_catches_a_committed_amount_that_is_not_the_commitments(customer):
    from django.db import connection

    from orderdesk.core import invariants as registry

    name = "credit.committed_equals_commitments"
    services.commit(customer=customer, order_id=1, order_number="A", amount=D("100.10"))
    assert registry.run([name]) == []
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE credit_creditaccount SET committed_amount = 100.11 WHERE customer_id = %s",
            [customer.pk],
        )
    found = registry.run([name])
    assert [v.invariant for v in found] == [name]
    assert f"customer_id={customer.pk}," in found[0].detail


def test_committed_is_the_total_less_cancelled_less_invoiced(customer):
    from orderdesk.core import invariants as registry
    from orderdesk.credit.models import Commitment

    services.commit(customer=customer, order_id=5, order_number="A", amount=D("1000"))
    services.invoiced(order_id=5, amount=D("300"))
    # an amendment after a cancellation: the new total less the cancelled value, less invoiced
    services.commit(
        customer=customer, order_id=5, order_number="A", amount=D("1200"), cancelled=D("200")
    )
    assert Commitment.objects.get(order_id=5).amount == D("700")
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("700")
    # never below zero
    services.commit(
        customer=customer, order_id=5, order_number="A", amount=D("400"), cancelled=D("200")
    )
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("0")
    assert registry.run(["credit.committed_equals_commitments"]) == []


def test_a_release_keeps_what_is_invoiced_for_the_next_confirmation(customer):
    from orderdesk.core import invariants as registry
    from orderdesk.credit.models import Commitment

    services.commit(customer=customer, order_id=6, order_number="B", amount=D("1000"))
    services.invoiced(order_id=6, amount=D("400"))
    assert services.commitment_release(order_id=6) == D("600")  # held, or approval reopened
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("0")
    row = Commitment.objects.get(order_id=6)
    assert (row.amount, row.invoiced_amount) == (D("0"), D("400"))
    services.invoiced(order_id=6, amount=D("-100"))  # a reversal meanwhile commits nothing
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("0")
    # confirmed again: the invoiced part (now 300) is not committed a second time
    services.commit(customer=customer, order_id=6, order_number="B", amount=D("1000"))
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("700")
    assert registry.run(["credit.committed_equals_commitments"]) == []
    # an order with nothing invoiced leaves no row behind
    services.commit(customer=customer, order_id=7, order_number="C", amount=D("50"))
    services.commitment_release(order_id=7)
    assert not Commitment.objects.filter(order_id=7).exists()


def test_an_invoice_posted_while_nothing_is_committed_still_counts_at_the_next_confirmation(
    customer,
):
    from orderdesk.core import invariants as registry
    from orderdesk.credit.models import Commitment

    # confirmed, then held before anything was invoiced: the row went with the release
    services.commit(customer=customer, order_id=8, order_number="D", amount=D("1000"))
    services.commitment_release(order_id=8)
    assert not Commitment.objects.filter(order_id=8).exists()
    # an invoice drafted before the hold is posted meanwhile
    assert services.invoiced(order_id=8, amount=D("250"), customer=customer, order_number="D") == 0
    row = Commitment.objects.get(order_id=8)
    assert (row.order_amount, row.invoiced_amount, row.amount) == (D("0"), D("250"), D("0"))
    # a reversal with nothing committed and no row moves nothing and writes nothing
    assert services.invoiced(order_id=9, amount=D("-80"), customer=customer) == 0
    assert not Commitment.objects.filter(order_id=9).exists()
    # released from the hold: only what is not invoiced is committed
    services.commit(customer=customer, order_id=8, order_number="D", amount=D("1000"))
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("750")
    assert registry.run(["credit.committed_equals_commitments"]) == []
