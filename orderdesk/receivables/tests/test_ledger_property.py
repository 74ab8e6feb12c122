"""A Hypothesis walk through random invoices, payments, credit notes and allocations.

Whatever the sequence (refused steps included), the ledger keeps:
- receivables (open debits) = invoices - what credit notes and payments settled;
- the balance = invoices - credit notes - payments;
- no allocation exceeds either side: every item's open amount stays within 0..amount and
  equals its amount less the allocations in force;
- the stored customer balance equals the open items (debits and credits, exactly).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderdesk.core.errors import DomainError
from orderdesk.receivables import services
from orderdesk.receivables.models import Allocation, CustomerBalance, ItemKind, OpenItem, Side
from orderdesk.receivables.selectors import balance_as_of
from orderdesk.testing.factories import CustomerFactory

DAY = dt.date(2026, 3, 1)
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("invoice"), cents),
        st.tuples(st.just("payment"), cents),
        st.tuples(st.just("credit_note"), cents),
        st.tuples(st.just("allocate"), st.integers(0, 40), st.integers(0, 40), cents),
        st.tuples(st.just("settle"), st.integers(0, 40)),
        st.tuples(st.just("undo"), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=25,
)

KIND = {
    "invoice": (Side.DEBIT, ItemKind.INVOICE),
    "payment": (Side.CREDIT, ItemKind.PAYMENT),
    "credit_note": (Side.CREDIT, ItemKind.CREDIT_NOTE),
}


def total(qs, field="amount") -> Decimal:
    """Summed in Python: SQLite would sum the decimals as floats."""
    return sum(qs.values_list(field, flat=True), Decimal(0))


def check_invariants(customer) -> None:
    items = OpenItem.objects.filter(customer=customer)
    for item in items:
        assert Decimal(0) <= item.open_amount <= item.amount
        field = "debit" if item.side == Side.DEBIT else "credit"
        amount_field = "amount" if item.side == Side.DEBIT else "credit_amount"
        settled = total(
            Allocation.objects.filter(**{field: item}, reversed_on__isnull=True), amount_field
        )
        assert item.amount - item.open_amount == settled
    invoices = total(items.filter(kind=ItemKind.INVOICE))
    payments = total(items.filter(kind=ItemKind.PAYMENT))
    credit_notes = total(items.filter(kind=ItemKind.CREDIT_NOTE))
    live = Allocation.objects.filter(debit__customer=customer, reversed_on__isnull=True)
    settled_by_payments = total(live.filter(credit__kind=ItemKind.PAYMENT))
    settled_by_notes = total(live.filter(credit__kind=ItemKind.CREDIT_NOTE))
    receivables = total(items.filter(side=Side.DEBIT), "open_amount")
    assert receivables == invoices - settled_by_notes - settled_by_payments
    assert balance_as_of(customer, "UAH", DAY) == invoices - credit_notes - payments
    credits_open = total(items.filter(side=Side.CREDIT), "open_amount")
    assert credits_open == payments + credit_notes - settled_by_payments - settled_by_notes
    balance = CustomerBalance.objects.filter(customer=customer).first()
    kept = (balance.open_debit, balance.open_credit) if balance else (Decimal(0), Decimal(0))
    assert kept == (receivables, credits_open)  # all in UAH at rate 1


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_random_sequences_keep_the_ledger_consistent(sequence):
    with transaction.atomic():
        customer = CustomerFactory()
        for n, step in enumerate(sequence):
            ids = list(
                OpenItem.objects.filter(customer=customer)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            try:
                with transaction.atomic():
                    if step[0] in KIND:
                        side, kind = KIND[step[0]]
                        services.item_post(
                            customer=customer,
                            currency="UAH",
                            side=side,
                            kind=kind,
                            doc_type=step[0],
                            doc_id=n + 1,
                            doc_number=f"{step[0]}-{n}",
                            posting_date=DAY,
                            amount=step[1],
                            rate=Decimal(1),
                            due_date=DAY if side == Side.DEBIT else None,
                        )
                    elif step[0] == "allocate" and ids:
                        services.allocate(
                            by=None,
                            debit=ids[step[1] % len(ids)],
                            credit=ids[step[2] % len(ids)],
                            amount=step[3],
                            on=DAY,
                        )
                    elif step[0] == "settle" and ids:
                        credits = OpenItem.objects.filter(customer=customer, side=Side.CREDIT)
                        debits = OpenItem.objects.filter(customer=customer, side=Side.DEBIT)
                        services.settle(
                            by=None,
                            debits=list(debits.order_by("due_date", "pk")),
                            credits=list(credits.order_by("pk")),
                            on=DAY,
                        )
                    elif step[0] == "undo":
                        live = list(
                            Allocation.objects.filter(
                                debit__customer=customer, reversed_on__isnull=True
                            )
                        )
                        if live:
                            services.allocation_reverse(
                                by=None, allocation=live[step[1] % len(live)], on=DAY
                            )
            except DomainError as exc:
                assert exc.code in {
                    "allocation_exceeds_open",
                    "allocation_exceeds_credit",
                    "allocation_sides_invalid",
                }
            check_invariants(customer)
        transaction.set_rollback(True)
