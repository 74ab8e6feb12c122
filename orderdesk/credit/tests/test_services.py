"""Credit services on their own: exposure arithmetic, commitments, the texts in numbers."""

import datetime as dt
from decimal import Decimal

import pytest

from orderdesk.credit import services
from orderdesk.credit.models import CreditAccount
from orderdesk.receivables import services as ledger

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
