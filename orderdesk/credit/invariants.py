"""What must hold for credit control, whatever wrote it: checked by `orderdesk reconcile`.

Found by `core.invariants.autodiscover`. Each SQL returns one row per violation.
"""

from __future__ import annotations

from orderdesk.core.invariants import AMOUNT_TOLERANCE, register_invariant

register_invariant(
    "credit.committed_equals_commitments",
    f"""
    SELECT a.customer_id, a.committed_amount AS committed,
           COALESCE(SUM(c.amount), 0) AS commitments
    FROM credit_creditaccount a LEFT JOIN credit_commitment c ON c.account_id = a.id
    GROUP BY a.id, a.customer_id, a.committed_amount
    HAVING ABS(a.committed_amount - COALESCE(SUM(c.amount), 0)) >= {AMOUNT_TOLERANCE}
    ORDER BY a.customer_id
    """,
    description="A credit account's committed amount is the sum of its orders' commitments.",
)
