"""What must hold for the ledger, whatever wrote it: checked by `orderdesk reconcile`.

Found by `core.invariants.autodiscover`.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db import connection

from orderdesk.core.invariants import register_invariant
from orderdesk.core.money import minor_unit
from orderdesk.core.services import base_currency

ZERO = Decimal("0")

# PostgreSQL: exact numeric arithmetic, ROUND is half away from zero (= half up for the
# positive open values), so one query compares every customer. Customers with no balance row
# and balance rows with no open item meet in the FULL JOIN.
BALANCE_SQL = """
SELECT COALESCE(b.customer_id, s.customer_id) AS customer_id,
       b.open_debit AS stored_debit, COALESCE(s.debit, 0) AS items_debit,
       b.open_credit AS stored_credit, COALESCE(s.credit, 0) AS items_credit
FROM receivables_customerbalance b
FULL OUTER JOIN (
    SELECT customer_id,
           SUM(CASE WHEN side = 'debit' THEN ROUND(open_amount * rate, %(digits)s) ELSE 0 END)
               AS debit,
           SUM(CASE WHEN side = 'credit' THEN ROUND(open_amount * rate, %(digits)s) ELSE 0 END)
               AS credit
    FROM receivables_openitem
    WHERE open_amount > 0
    GROUP BY customer_id
) s ON s.customer_id = b.customer_id
WHERE COALESCE(b.open_debit, 0) <> COALESCE(s.debit, 0)
   OR COALESCE(b.open_credit, 0) <> COALESCE(s.credit, 0)
ORDER BY 1
"""


def balance_equals_items() -> Iterator[str]:
    """Every customer's stored balance equals the sum of its open items' open values."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(BALANCE_SQL % {"digits": int(minor_unit(base_currency()))})
            for customer_id, stored_d, items_d, stored_c, items_c in cursor.fetchall():
                yield _text(customer_id, stored_d, items_d, stored_c, items_c)
        return
    # elsewhere (SQLite keeps decimals as floating point) the sums are made in Python
    from .models import CustomerBalance
    from .services import open_totals

    totals = open_totals()
    stored = {
        row[0]: (row[1], row[2])
        for row in CustomerBalance.objects.values_list("customer_id", "open_debit", "open_credit")
    }
    for customer_id in sorted(set(totals) | set(stored)):
        items_d, items_c = totals.get(customer_id, (ZERO, ZERO))
        if customer_id not in stored:
            yield _text(customer_id, None, items_d, None, items_c)
            continue
        stored_d, stored_c = stored[customer_id]
        if (stored_d, stored_c) != (items_d, items_c):
            yield _text(customer_id, stored_d, items_d, stored_c, items_c)


def _text(customer_id, stored_d, items_d, stored_c, items_c) -> str:
    return (
        f"customer_id={customer_id}, stored_debit={stored_d}, items_debit={items_d}, "
        f"stored_credit={stored_c}, items_credit={items_c}"
    )


register_invariant(
    "receivables.balance_equals_items",
    balance_equals_items,
    description=(
        "A customer's stored ledger balance (open debits, open credits, base currency) equals "
        "the sum of its open items' open amounts at their posting rates."
    ),
)
