"""The dashboards' summary is kept at its grain: a full rebuild equals the orders
aggregated by hand, an incremental refresh after real changes equals a full rebuild, and the
widgets read it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from orderdesk.billing.services import shipment_record
from orderdesk.orders.services import (
    LineInput,
    order_cancel,
    order_confirm,
    order_create,
    order_update,
)
from orderdesk.reports.models import DailySalesSummary
from orderdesk.reports.selectors import report_for
from orderdesk.reports.selectors.dashboards import margins, pipeline
from orderdesk.reports.services import summaries_refresh

from .conftest import sql


def table() -> set[tuple]:
    return set(
        DailySalesSummary.objects.values_list(
            "day", "manager_id", "customer_id", "state", "orders", "net_amount", "revenue", "cost"
        )
    )


def test_a_full_rebuild_equals_the_orders_aggregated_by_hand(generated):
    result = summaries_refresh(full=True)
    assert result["mode"] == "full" and result["rows"] > 0

    expected = {
        (day if isinstance(day, dt.date) else dt.date.fromisoformat(day), m, c): (n, net)
        for day, m, c, n, net in sql(
            "SELECT order_date, manager_id, customer_id, COUNT(*), SUM(base_net_amount) "
            "FROM orders_order GROUP BY order_date, manager_id, customer_id"
        )
    }
    got: dict[tuple, list] = {}
    for day, m, c, _state, n, net, _rev, _cost in table():
        entry = got.setdefault((day, m, c), [0, Decimal(0)])
        entry[0] += n
        entry[1] += net
    assert set(got) == set(expected)
    for key, (n, net) in got.items():
        assert n == expected[key][0]
        assert abs(net - Decimal(str(expected[key][1]))) <= Decimal("0.01") * n

    revenue = sql(
        "SELECT SUM(l.shipped_quantity * l.unit_price * (100 - l.discount_percent) / 100 "
        "* o.exchange_rate) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id"
    )[0][0]
    total = sum(r[6] for r in table())
    assert abs(total - Decimal(str(revenue))) <= Decimal("0.01") * DailySalesSummary.objects.count()


def test_incremental_refresh_after_changes_equals_a_full_rebuild(
    manager, customer, contract, product, warehouse, admin_user
):
    from orderdesk.testing.factories import UserFactory

    storekeeper = UserFactory(username="storekeeper", roles=["warehouse"])
    today = timezone.localdate()
    old = order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=Decimal(3))],
        order_date=today - dt.timedelta(days=3),
    )  # fmt: skip
    shipped = order_confirm(
        by=manager,
        order=order_create(
            by=manager, customer=customer, lines=[LineInput(product=product, quantity=Decimal(5))]
        ),
    )
    first = summaries_refresh()
    assert first["mode"] == "full"

    # an order moves to another day, one ships in part, a new one is cancelled
    order_update(by=manager, order=old, order_date=today - dt.timedelta(days=1))
    shipment_record(
        by=storekeeper, order=shipped, lines=[(shipped.lines.get(), Decimal(2))], shipped_on=today
    )
    gone = order_create(
        by=manager, customer=customer, lines=[LineInput(product=product, quantity=Decimal(1))]
    )
    order_cancel(by=manager, order=gone, reason="customer_refused")
    result = summaries_refresh()
    assert result["mode"] == "incremental"
    assert result["days"] == 3  # today, and the old and the new date of the moved order
    incremental = table()

    summaries_refresh(full=True)
    assert table() == incremental
    states = {row[3] for row in incremental}
    assert {"draft", "partially_shipped", "cancelled"} <= states
    revenue = DailySalesSummary.objects.get(state="partially_shipped").revenue
    assert revenue == Decimal("200.00")  # 2 x 100.00, no discount, hryvnia


def test_the_pipeline_widget_equals_the_order_states_report(generated):
    summaries_refresh()
    manager = generated.managers[0]
    report = report_for("order_states")
    by_state = {r["state"]: r for r in report.iter_rows(manager, report.parse({}))}
    widget = pipeline(manager)
    for row in widget["rows"]:
        expected = by_state.get(row["state"], {"orders": 0, "net_amount": Decimal(0)})
        assert row["orders"] == expected["orders"]
        assert abs(row["net_amount"] - expected["net_amount"]) <= Decimal("0.01") * max(
            1, row["orders"]
        )


def test_the_margins_widget_equals_profitability_over_the_same_days(generated):
    summaries_refresh()
    head = generated.head
    widget = margins(head, days=120)
    report = report_for("profitability")
    params = report.parse({"group_by": "manager", "date_from": widget["since"].isoformat()})
    expected = {r["manager"]: r for r in report.iter_rows(head, params)}
    assert {r["manager"] for r in widget["rows"]} == set(expected)
    for row in widget["rows"]:
        assert abs(row["revenue"] - expected[row["manager"]]["revenue"]) <= Decimal("1.00")
        assert abs(row["cost"] - expected[row["manager"]]["cost"]) <= Decimal("1.00")


def test_the_command_refreshes(generated, capsys):
    call_command("refresh_summaries")
    after_first = table()
    call_command("refresh_summaries")
    out = capsys.readouterr().out
    assert out.startswith("full:") and "\nincremental:" in out
    assert table() == after_first
    call_command("refresh_summaries", "--full")
    assert table() == after_first


def test_old_events_are_not_read_again(generated):
    """Events written long before the last refresh (the generated history) are not looked at
    again; only those after the watermark or within the late-commit margin."""
    from orderdesk.reports.models import SummaryWatermark

    summaries_refresh()
    mark = SummaryWatermark.objects.get()
    SummaryWatermark.objects.filter(pk=mark.pk).update(
        refreshed_at=mark.refreshed_at + dt.timedelta(days=3650)
    )
    # the generator dates its history in the past: nothing is within the margin
    assert summaries_refresh()["days"] == 0
