"""What must hold for stock, whatever wrote it: checked by `orderdesk reconcile`."""

from __future__ import annotations

from orderdesk.core.invariants import QUANTITY_TOLERANCE, register_invariant

register_invariant(
    "catalog.reserved_within_on_hand",
    f"""
    SELECT p.sku, w.code AS warehouse, b.on_hand, b.reserved
    FROM catalog_stockbalance b
    JOIN catalog_product p ON p.id = b.product_id
    JOIN catalog_warehouse w ON w.id = b.warehouse_id
    WHERE b.reserved < 0 OR b.reserved > b.on_hand + {QUANTITY_TOLERANCE}
    ORDER BY p.sku, w.code
    """,
    description="0 <= reserved <= on hand for every product in every warehouse.",
)
