"""What must hold for every order, whatever wrote it: checked by `orderdesk reconcile`.

Found by `core.invariants.autodiscover`. Each SQL returns one row per violation.
"""

from __future__ import annotations

from orderdesk.core.invariants import (
    AMOUNT_TOLERANCE,
    QUANTITY_TOLERANCE,
    number_series_check,
    register_invariant,
)

register_invariant(
    "orders.line_quantities",
    f"""
    SELECT o.number AS order_number, l.id AS line_id, l.position, l.quantity,
           l.cancelled_quantity AS cancelled, l.shipped_quantity AS shipped
    FROM orders_orderline l LEFT JOIN orders_order o ON o.id = l.order_id
    WHERE l.shipped_quantity > l.quantity - l.cancelled_quantity + {QUANTITY_TOLERANCE}
       OR l.shipped_quantity < 0 OR l.cancelled_quantity < 0
       OR l.cancelled_quantity > l.quantity + {QUANTITY_TOLERANCE}
    ORDER BY l.order_id, l.position
    """,
    description="0 <= shipped <= ordered - cancelled and 0 <= cancelled <= ordered, per line.",
)

register_invariant(
    "orders.totals_equal_lines",
    f"""
    SELECT o.number AS order_number,
           o.net_amount AS net, COALESCE(SUM(l.net_amount), 0) AS lines_net,
           o.vat_amount AS vat, COALESCE(SUM(l.vat_amount), 0) AS lines_vat,
           o.gross_amount AS gross, COALESCE(SUM(l.gross_amount), 0) AS lines_gross
    FROM orders_order o LEFT JOIN orders_orderline l ON l.order_id = o.id
    GROUP BY o.id, o.number, o.net_amount, o.vat_amount, o.gross_amount
    HAVING ABS(o.net_amount - COALESCE(SUM(l.net_amount), 0)) >= {AMOUNT_TOLERANCE}
        OR ABS(o.vat_amount - COALESCE(SUM(l.vat_amount), 0)) >= {AMOUNT_TOLERANCE}
        OR ABS(o.gross_amount - COALESCE(SUM(l.gross_amount), 0)) >= {AMOUNT_TOLERANCE}
    ORDER BY o.id
    """,
    description="An order's net, VAT and total are the sums of its lines'.",
)

register_invariant(
    "orders.gross_is_net_plus_vat",
    f"""
    SELECT 'order' AS row_kind, o.number AS order_number, NULL AS position,
           o.net_amount AS net, o.vat_amount AS vat, o.gross_amount AS gross,
           o.base_net_amount AS base_net, o.base_vat_amount AS base_vat,
           o.base_gross_amount AS base_gross
    FROM orders_order o
    WHERE ABS(o.gross_amount - o.net_amount - o.vat_amount) >= {AMOUNT_TOLERANCE}
       OR ABS(o.base_gross_amount - o.base_net_amount - o.base_vat_amount) >= {AMOUNT_TOLERANCE}
    UNION ALL
    SELECT 'line', o.number, l.position, l.net_amount, l.vat_amount, l.gross_amount,
           NULL, NULL, NULL
    FROM orders_orderline l LEFT JOIN orders_order o ON o.id = l.order_id
    WHERE ABS(l.gross_amount - l.net_amount - l.vat_amount) >= {AMOUNT_TOLERANCE}
    """,
    description="Total = net + VAT on every order (also in base currency) and every line.",
)

register_invariant(
    "orders.rows_have_their_order",
    """
    SELECT 'line' AS row_kind, l.id AS row_id, l.order_id AS missing_parent
    FROM orders_orderline l LEFT JOIN orders_order o ON o.id = l.order_id
    WHERE o.id IS NULL
    UNION ALL
    SELECT 'schedule', s.id, s.line_id
    FROM orders_deliveryscheduleentry s LEFT JOIN orders_orderline l ON l.id = s.line_id
    WHERE l.id IS NULL
    UNION ALL
    SELECT 'amendment', a.id, a.order_id
    FROM orders_amendment a LEFT JOIN orders_order o ON o.id = a.order_id
    WHERE o.id IS NULL
    """,
    description="No order line, scheduled delivery or amendment without its parent.",
)

register_invariant(
    "orders.numbers_gap_free",
    number_series_check(series_key="orders.order", table="orders_order"),
    description="Order numbers unique, 1..n per year without a gap; the counter equals n.",
)
