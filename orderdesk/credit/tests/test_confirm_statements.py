"""Credit's share of confirming an order (issue 10): one pass — the account locked once, the
limits read once, the order's commitment, override and ledger balance in one statement, the
commitment written without a re-read or a savepoint — and the release gate in the same
transaction answered from what that pass read, only while nothing it depends on changed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderdesk.credit import memo
from orderdesk.credit import services as credit
from orderdesk.credit.models import Commitment, CreditAccount
from orderdesk.orders import hooks
from orderdesk.orders.choices import OrderStatus
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.receivables import services as ledger
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
TABLE = re.compile(
    r'^\s*(?:SELECT\b.*?\bFROM|INSERT\s+(?:OR\s+IGNORE\s+)?INTO|UPDATE)\s+"?([a-z_]+)"?',
    re.I | re.S,
)


@pytest.fixture
def controller(db):
    return UserFactory(username="cc", roles=["credit_controller"])


def new_order(manager, customer, product, qty="1"):
    return order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=D(qty))]
    )


def _table(sql: str) -> str:
    while True:  # the outer statement's table: subqueries out, innermost first
        inner = re.sub(r"\([^()]*\)", "", sql)
        if inner == sql:
            break
        sql = inner
    found = TABLE.match(sql)
    return found.group(1) if found else sql.split(None, 1)[0].upper()


def credit_statements(queries) -> list[str]:
    """The statements credit's code issues (its tables and the ledger balance/items it
    reads), as "<verb> <table>"."""
    out = []
    for q in queries:
        table = _table(q["sql"])
        if table.startswith(("credit_", "receivables_")):
            out.append(f"{q['sql'].split(None, 1)[0].upper()} {table}")
    return out


def confirm_counted(manager, order):
    with CaptureQueriesContext(connection) as q:
        order_confirm(by=manager, order=order)
    return q.captured_queries


def test_confirm_takes_five_credit_statements_and_no_savepoint(
    manager, customer, contract, product
):
    """No limit: lock, limits, the commitment/override/balance carrier, INSERT commitment,
    UPDATE account (before: 14 in the confirming transaction, 7 of them twice over, plus a
    SAVEPOINT/RELEASE around the commit)."""
    order_confirm(by=manager, order=new_order(manager, customer, product))  # the account exists
    queries = confirm_counted(manager, new_order(manager, customer, product))
    assert credit_statements(queries) == [
        "SELECT credit_creditaccount",  # FOR UPDATE: the serialization point
        "SELECT credit_creditlimit",
        "SELECT credit_creditaccount",  # own commitment + override + ledger balance
        "INSERT credit_commitment",
        "UPDATE credit_creditaccount",
    ]
    sql = [q["sql"] for q in queries]
    lock = next(s for s in sql if s.startswith("SELECT") and "credit_creditaccount" in s)
    if connection.vendor == "postgresql":
        assert lock.rstrip().endswith("FOR UPDATE")
    at = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "credit_commitment"'))
    assert not sql[at - 1].startswith("SAVEPOINT") and not sql[at + 2].startswith("RELEASE")


def test_confirm_with_credit_terms_adds_the_overdue_read(
    manager, controller, customer, contract, product
):
    credit.limit_set(by=controller, customer=customer, amount="1000000", overdue_days=30,
                     mode="block_confirmation")  # fmt: skip
    queries = confirm_counted(manager, new_order(manager, customer, product))
    assert credit_statements(queries) == [
        "SELECT credit_creditaccount",
        "SELECT credit_creditlimit",
        "SELECT credit_creditaccount",
        "SELECT receivables_openitem",  # overdue items only
        "INSERT credit_commitment",
        "UPDATE credit_creditaccount",
    ]


def test_first_confirmation_creates_the_account(manager, customer, contract, product):
    queries = confirm_counted(manager, new_order(manager, customer, product))
    assert credit_statements(queries)[:3] == [
        "SELECT credit_creditaccount",
        "INSERT credit_creditaccount",  # ON CONFLICT DO NOTHING
        "SELECT credit_creditaccount",
    ]
    assert CreditAccount.objects.get(customer=customer).committed_amount > 0


def _release_check(order, *, queries: int | None = None):
    with CaptureQueriesContext(connection) as q:
        a = credit.check(customer=order.customer, amount=None, stage="release",
                         order_id=order.pk, contract_id=order.contract_id, lock=False)  # fmt: skip
    if queries is not None:
        assert len(q) == queries, [x["sql"] for x in q.captured_queries]
    return a


def _fresh(order):
    memo.forget()
    return _release_check(order)


def test_release_gate_after_the_confirmation_reads_nothing_and_agrees(
    manager, controller, customer, contract, product
):
    credit.limit_set(by=controller, customer=customer, amount="1", overdue_days=5,
                     mode="block_shipment")  # fmt: skip
    order = new_order(manager, customer, product)
    order_confirm(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    # the warehouse's question, in the confirming transaction (here: the test's)
    with CaptureQueriesContext(connection) as q:
        reasons = hooks.ask(hooks.RELEASE_BLOCKERS, order=order)
    assert len(reasons) == 1 and "limit 1" in reasons[0]
    assert credit_statements(q.captured_queries) == []
    kept = _release_check(order, queries=0)
    assert kept.holds and kept.reasons[0].startswith("exposure ")
    assert kept.as_dict() == _fresh(order).as_dict()


def test_the_kept_figures_are_dropped_after_a_write_they_depend_on(
    manager, controller, customer, contract, product
):
    credit.limit_set(by=controller, customer=customer, amount="1000000", mode="block_shipment")
    order = new_order(manager, customer, product)
    order_confirm(by=manager, order=order)
    assert _release_check(order, queries=0).holds is False
    credit.block_set(by=controller, customer=customer, reason="court case")
    after = _release_check(order)
    assert [b["code"] for b in after.breaches] == ["credit_blocked"] and after.holds
    # a ledger change (no credit call) is seen too
    credit.block_lift(by=controller, customer=customer)
    assert _release_check(order).holds is False
    ledger.item_post(customer=customer, currency="UAH", side="debit", kind="invoice",
                     doc_type="invoice", doc_id=1, doc_number="I1", posting_date=order.order_date,
                     due_date=order.order_date, amount=D("2000000"), rate=D("1"))  # fmt: skip
    assert _release_check(order).holds is True


def test_the_kept_figures_are_dropped_by_a_rollback(manager, customer, contract, product):
    order = new_order(manager, customer, product)
    order_confirm(by=manager, order=order)
    _release_check(order, queries=0)
    try:
        with transaction.atomic():
            raise RuntimeError("rolled back to the savepoint")
    except RuntimeError:
        pass
    with CaptureQueriesContext(connection) as q:
        _release_check(order)
    assert len(q) > 0


def test_commit_does_not_reuse_a_check_made_stale_by_a_write(customer):
    """A checked assessment from before another commitment write: commit reads again."""
    with transaction.atomic():
        stale = credit.check(customer=customer, amount=D("100"), stage="confirm", order_id=5)
        credit.commit(customer=customer, order_id=5, order_number="A", amount=D("100"))
        credit.commit(customer=customer, order_id=5, order_number="A", amount=D("150"),
                      checked=stale)  # fmt: skip
    assert Commitment.objects.get(order_id=5).amount == D("150")
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("150")


def test_commit_reuses_a_fresh_check(customer):
    with transaction.atomic():
        checked = credit.check(customer=customer, amount=D("100"), stage="confirm", order_id=6)
        with CaptureQueriesContext(connection) as q:
            credit.commit(customer=customer, order_id=6, order_number="B", amount=D("100"),
                          checked=checked)  # fmt: skip
        assert credit_statements(q.captured_queries) == [
            "INSERT credit_commitment",
            "UPDATE credit_creditaccount",
        ]
        credit.invoiced(order_id=6, amount=D("40"))
        again = credit.check(customer=customer, amount=D("130"), stage="confirm", order_id=6)
        assert (again.orders, again.this_order) == (D("0.00"), D("130.00"))
        credit.commit(customer=customer, order_id=6, order_number="B", amount=D("130"),
                      checked=again)  # fmt: skip
    row = Commitment.objects.get(order_id=6)
    assert (row.order_amount, row.invoiced_amount, row.amount) == (D("130"), D("40"), D("90"))
    assert CreditAccount.objects.get(customer=customer).committed_amount == D("90")


def test_a_group_member_without_a_group_limit_counts_its_own_orders_only(
    manager, controller, customer, contract, product, price_list
):
    """The check of a group member locks the whole group (limits are read after the lock),
    but only a group limit makes the members' exposure count together."""
    from orderdesk.testing.factories import ContractFactory, CustomerFactory, CustomerGroupFactory

    group = CustomerGroupFactory()
    sister = CustomerFactory(manager=manager, group=group)
    ContractFactory(customer=sister, price_list=price_list, number="16/2026")
    customer.group = group
    customer.save()
    order_confirm(by=manager, order=new_order(manager, sister, product))
    order = new_order(manager, customer, product)
    credit.limit_set(by=controller, customer=customer, amount=order.base_gross_amount,
                     mode="block_confirmation")  # fmt: skip
    order_confirm(by=manager, order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert set(CreditAccount.objects.values_list("customer_id", flat=True)) == {
        customer.pk,
        sister.pk,
    }
