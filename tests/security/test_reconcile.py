"""`orderdesk reconcile`: clean data passes; each invariant, broken behind the application's back
with raw SQL, is reported by name and the command exits 1.

Some rules are also database constraints (shipped within ordered, reserved within on hand,
unique numbers). The reconcile check must still catch them (a constraint dropped by a careless
migration, a restore from a dump without constraints), so those tests switch the constraint off
inside the test's own transaction first.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from orderdesk.catalog.models import StockBalance
from orderdesk.core import invariants as registry
from orderdesk.core.invariants import number_series_check
from orderdesk.orders.models import Order, OrderLine
from orderdesk.orders.services import LineInput, order_confirm, order_create
from orderdesk.orders.services.progress import order_lines_ship

D = Decimal
ORDER_CHECKS = {
    "orders.line_quantities",
    "orders.totals_equal_lines",
    "orders.gross_is_net_plus_vat",
    "orders.rows_have_their_order",
    "orders.numbers_gap_free",
    "catalog.reserved_within_on_hand",
}


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


@contextmanager
def without_check_constraint(table: str, name: str):
    """Let rows break a CHECK constraint for the rest of this test's transaction."""
    if connection.vendor == "postgresql":
        # DDL needs the test's deferred foreign-key checks run first; rolled back at the end
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        sql("SET CONSTRAINTS ALL DEFERRED")
        yield
    else:
        sql("PRAGMA ignore_check_constraints = 1")
        try:
            yield
        finally:
            sql("PRAGMA ignore_check_constraints = 0")


def reconcile() -> tuple[int, str]:
    """(exit code, output) of `orderdesk reconcile`."""
    out = StringIO()
    try:
        call_command("reconcile", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def broken(output: str) -> set[str]:
    """The invariants named in the violation lines of the output."""
    return {
        line.split(":", 1)[0]
        for line in output.splitlines()
        if line.split(":", 1)[0] in {inv.name for inv in registry.invariants()}
    }


@pytest.fixture(autouse=True)
def main_warehouse(warehouse):
    return warehouse


@pytest.fixture
def orders(manager, customer, contract, product):
    """Two confirmed orders, the first partly shipped, and a draft: all consistent."""
    StockBalance.objects.filter(product=product).update(on_hand=D("50"), reserved=D("5"))
    first = order_create(
        by=manager,
        customer=customer,
        lines=[
            LineInput(product=product.pk, quantity="3"),
            LineInput(product=product.pk, quantity="2.5", discount_percent="3.33"),
        ],
    )
    order_confirm(by=manager, order=first)
    line = first.lines.order_by("position").first()
    order_lines_ship(by=manager, order=first, lines=[(line.pk, "2")], shipped_on=dt.date.today())
    second = order_create(by=manager, customer=customer, lines=[LineInput(product.pk, "7")])
    order_confirm(by=manager, order=second)
    draft = order_create(by=manager, customer=customer, lines=[LineInput(product.pk, "1")])
    return [first, second, draft]


def test_every_order_invariant_is_registered():
    assert {inv.name for inv in registry.invariants()} >= ORDER_CHECKS
    assert all(inv.description for inv in registry.invariants())


def test_reconcile_reports_ok_on_consistent_data(orders):
    code, output = reconcile()
    assert code == 0, output
    assert output.startswith("ok: ")


def test_reconcile_lists_the_invariants(capsys):
    call_command("reconcile", "--list")
    listed = capsys.readouterr().out
    for name in ORDER_CHECKS:
        assert f"{name}: " in listed


def test_a_line_shipped_beyond_ordered_less_cancelled_is_reported(orders):
    first = orders[0]
    line = first.lines.order_by("position").first()
    with without_check_constraint("orders_orderline", "orders_line_shipped_within_ordered"):
        sql("UPDATE orders_orderline SET cancelled_quantity = 1.5 WHERE id = %s", [line.pk])

    code, output = reconcile()

    assert code == 1
    assert broken(output) == {"orders.line_quantities"}
    assert f"order_number={first.number}" in output
    assert f"line_id={line.pk}" in output


def test_a_negative_shipped_quantity_is_reported(orders):
    line = orders[1].lines.get()
    sql("UPDATE orders_orderline SET shipped_quantity = -1 WHERE id = %s", [line.pk])
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"orders.line_quantities"}


def test_an_order_total_that_is_not_the_sum_of_its_lines_is_reported(orders):
    # net and total both one more than the lines: total = net + VAT still holds
    sql(
        "UPDATE orders_order SET net_amount = net_amount + 1, gross_amount = gross_amount + 1 "
        "WHERE id = %s",
        [orders[1].pk],
    )
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"orders.totals_equal_lines"}
    assert f"order_number={orders[1].number}" in output


def test_a_vat_total_that_is_not_the_sum_of_the_lines_vat_is_reported(orders):
    sql(
        "UPDATE orders_order SET vat_amount = vat_amount - 0.01, net_amount = net_amount + 0.01 "
        "WHERE id = %s",
        [orders[0].pk],
    )
    code, output = reconcile()
    assert broken(output) == {"orders.totals_equal_lines"}
    assert code == 1


def test_a_total_that_is_not_net_plus_vat_is_reported(orders):
    # in base currency only: the document's own totals still equal the lines
    sql(
        "UPDATE orders_order SET base_gross_amount = base_gross_amount + 0.01 WHERE id = %s",
        [orders[2].pk],
    )
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"orders.gross_is_net_plus_vat"}
    assert "row_kind=order" in output


def test_a_line_total_that_is_not_net_plus_vat_is_reported(orders):
    line = orders[2].lines.get()
    sql("UPDATE orders_orderline SET gross_amount = gross_amount + 1 WHERE id = %s", [line.pk])
    code, output = reconcile()
    assert code == 1
    # the order's total no longer equals its lines' either
    assert broken(output) == {"orders.gross_is_net_plus_vat", "orders.totals_equal_lines"}
    assert f"row_kind=line, order_number={orders[2].number}, position=1" in output


def test_reserved_above_on_hand_is_reported(orders, product, warehouse):
    with without_check_constraint("catalog_stockbalance", "catalog_reserved_within_on_hand"):
        sql(
            "UPDATE catalog_stockbalance SET reserved = 60 WHERE product_id = %s "
            "AND warehouse_id = %s",
            [product.pk, warehouse.pk],
        )
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"catalog.reserved_within_on_hand"}
    assert f"sku={product.sku}" in output and f"warehouse={warehouse.code}" in output


def test_negative_reserved_is_reported(orders, product):
    with without_check_constraint("catalog_stockbalance", "catalog_reserved_within_on_hand"):
        sql("UPDATE catalog_stockbalance SET reserved = -1 WHERE product_id = %s", [product.pk])
    code, output = reconcile()
    assert broken(output) == {"catalog.reserved_within_on_hand"}
    assert code == 1


def test_a_gap_in_the_order_numbers_is_reported(orders):
    # the second of three numbers disappears: renamed beyond the counter
    second = Order.objects.get(pk=orders[1].pk)
    prefix, year, seq = second.number.rsplit("-", 2)
    sql(
        "UPDATE orders_order SET number = %s WHERE id = %s",
        [f"{prefix}-{year}-{int(seq) + 10:06d}", second.pk],
    )
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"orders.numbers_gap_free"}
    assert f"series orders.order {year}: numbers missing: {int(seq)}, {int(seq) + 2}-" in output
    assert f"counter is 3 but the highest number is {int(seq) + 10}" in output


def test_a_number_taken_without_its_order_is_reported(orders):
    sql("UPDATE core_numberseries SET last_value = last_value + 1 WHERE key = 'orders.order'")
    code, output = reconcile()
    assert code == 1
    assert broken(output) == {"orders.numbers_gap_free"}
    assert "counter is 4 but the highest number is 3" in output


def test_a_line_without_its_order_is_reported(orders):
    line = orders[0].lines.order_by("position").first()
    # foreign keys are checked at commit: the test's transaction never commits, and the
    # line goes back to its order before the test ends
    sql("UPDATE orders_orderline SET order_id = 999999 WHERE id = %s", [line.pk])
    try:
        code, output = reconcile()
    finally:
        sql("UPDATE orders_orderline SET order_id = %s WHERE id = %s", [orders[0].pk, line.pk])
    assert code == 1
    # the orphan is reported, and its old order's totals no longer match its remaining line
    assert "orders.rows_have_their_order" in broken(output)
    assert f"row_kind=line, row_id={line.pk}, missing_parent=999999" in output
    assert OrderLine.objects.filter(pk=line.pk, order=orders[0]).exists()


def test_reconcile_lists_every_violation_not_only_the_first(orders):
    sql("UPDATE orders_order SET net_amount = net_amount + 1, gross_amount = gross_amount + 1")
    code, output = reconcile()
    assert code == 1
    assert output.count("orders.totals_equal_lines: ") == 3
    assert "3 violation(s) of 1 invariant(s)" in output


def test_only_the_checks_asked_for_run(orders):
    sql("UPDATE orders_order SET net_amount = net_amount + 1, gross_amount = gross_amount + 1")
    out = StringIO()
    call_command("reconcile", "--check", "orders.line_quantities", stdout=out)
    assert out.getvalue().startswith("ok: 1 invariants hold")
    with pytest.raises(CommandError, match=r"unknown invariant: orders\.nothing"):
        call_command("reconcile", "--check", "orders.nothing")


@pytest.fixture
def numbers_table(db):
    sql("CREATE TEMPORARY TABLE reconcile_numbers (number varchar(32))")
    yield "reconcile_numbers"
    sql("DROP TABLE reconcile_numbers")


def test_number_series_check_finds_duplicates_and_malformed_numbers(numbers_table):
    # the unique constraint of a real table is not what this test is about: a plain table
    for number in ["A-2026-000001", "A-2026-000002", "A-2026-000002", "A-2026-3", "bad"]:
        sql("INSERT INTO reconcile_numbers (number) VALUES (%s)", [number])
    sql("INSERT INTO core_numberseries (key, year, last_value) VALUES ('test.doc', 2026, 3)")
    sql("INSERT INTO core_numberseries (key, year, last_value) VALUES ('test.doc', 2025, 1)")

    found = list(number_series_check(series_key="test.doc", table=numbers_table)())

    assert found == [
        "reconcile_numbers.number 'bad' is not <prefix>-<year>-<n>",
        "series test.doc 2025: counter is 1 but the highest number is 0",
        "series test.doc 2026: numbers used more than once: 2",
    ]


def test_number_series_check_reads_only_the_rows_of_its_series(numbers_table):
    for number in ["I-2026-000001", "C-2026-000001", "I-2026-000002"]:
        sql("INSERT INTO reconcile_numbers (number) VALUES (%s)", [number])
    sql("INSERT INTO core_numberseries (key, year, last_value) VALUES ('test.inv', 2026, 2)")
    check = number_series_check(
        series_key="test.inv", table=numbers_table, where="number LIKE 'I-%'"
    )
    assert list(check()) == []
    sql("INSERT INTO reconcile_numbers (number) VALUES ('I-2027-000001')")
    assert list(check()) == ["series test.inv 2027: 1 numbers but no counter row"]


def test_registering_a_badly_named_invariant_is_refused():
    with pytest.raises(ValueError, match="snake case"):
        registry.register_invariant("NoDot", "SELECT 1")
