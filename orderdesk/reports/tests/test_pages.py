"""Report pages render for every report and grouping, with a bounded number of queries, a
chart, exports, drill-downs to the orders behind a row, and the dashboards."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.generate import generate
from bench.reports import generate_ledger
from orderdesk.orders.models import Order
from orderdesk.reports.services import summaries_refresh
from orderdesk.testing.factories import UserFactory

from .conftest import TINY

PAGES = [
    ("order-states", {}),
    ("order-states", {"group_by": "state,manager,period", "period": "week"}),
    ("aging", {}),
    ("aging", {"as_of": "2026-01-31", "group_by": "manager,currency", "buckets": "15,45"}),
    ("cancellations", {"group_by": "reason,product_group"}),
    ("profitability", {"group_by": "product,period", "sort": "-margin"}),
    ("profitability", {"basis": "invoiced", "group_by": "customer"}),
]


@pytest.fixture
def admin(db):
    return UserFactory(username="report.admin", roles=["administrator"])


@pytest.mark.parametrize(("slug", "query"), PAGES)
def test_report_page_shows_rows_totals_chart_and_exports(generated, admin, client, slug, query):
    client.force_login(admin)
    response = client.get(f"/reports/{slug}/", query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<tfoot>" in body and "report-chart-data" in body
    for fmt in ("csv", "xlsx", "pdf"):
        assert f"/reports/{slug}/export/{fmt}/" in body
    chart = json.loads(
        body.split('id="report-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert chart["labels"] and len(chart["datasets"][0]["data"]) == len(chart["labels"])


def _queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/reports/order-states/", {"group_by": "state,customer"}),
        ("/reports/aging/", {"as_of": "2026-06-30"}),
        ("/reports/profitability/", {"group_by": "order"}),
        ("/reports/cancellations/", {"group_by": "product"}),
        ("/reports/order-states/drill/", {"state": "closed"}),
        ("/reports/", {}),
    ],
)
def test_report_pages_make_a_bounded_number_of_queries(generated, admin, client, url, query):
    client.force_login(admin)
    summaries_refresh()
    client.get(url, query)  # warm the session and the caches
    before = _queries(client, url, query)

    # twice the data: a second generator run of the same size
    more = generate(TINY, seed=99)
    generate_ledger(first_order_id=more["first_order_id"], seed=99)
    summaries_refresh()
    after = _queries(client, url, query)

    assert before <= 16
    assert after == before


def test_drill_down_lists_the_orders_of_a_row_and_links_the_order_list(generated, admin, client):
    client.force_login(admin)
    order = Order.objects.filter(status="closed").select_related("manager").first()
    response = client.get(
        "/reports/order-states/drill/", {"state": "closed", "manager": order.manager_id}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert order.number in body
    expected = Order.objects.filter(status="closed", manager=order.manager).count()
    assert response.context["page"].paginator.count == expected
    assert f"/orders/?status=closed&amp;manager={order.manager_id}" in body


def test_every_row_links_to_its_drill_down(generated, admin, client):
    client.force_login(admin)
    response = client.get("/reports/order-states/", {"group_by": "state,manager"})
    rows = response.context["rows"]
    assert rows
    for row in rows:
        assert row["drill_url"].startswith("/reports/order-states/drill/?")
        assert f"state={row['state']}" in row["drill_url"]
        assert f"manager={row['manager']}" in row["drill_url"]
    # the drill-down of a row holds exactly that row's orders
    first = rows[0]
    drill = client.get(first["drill_url"])
    assert drill.context["page"].paginator.count == first["orders"]


def test_period_rows_drill_down_to_their_dates(generated, admin, client):
    client.force_login(admin)
    response = client.get("/reports/cancellations/", {"group_by": "period", "period": "month"})
    row = response.context["rows"][0]
    drill = client.get(row["drill_url"])
    assert drill.status_code == 200
    assert drill.context["page"].paginator.count == row["lines"]


def test_dashboard_shows_each_roles_widgets(generated, client, storekeeper, controller):
    summaries_refresh()
    manager = generated.managers[0]
    client.force_login(manager)
    body = client.get("/reports/").content.decode()
    assert 'id="widget-pipeline"' in body and 'id="widget-margins"' not in body
    client.force_login(generated.head)
    body = client.get("/reports/").content.decode()
    assert 'id="widget-margins"' in body and 'id="widget-approvals"' in body
    client.force_login(controller)
    body = client.get("/reports/").content.decode()
    assert 'id="widget-overdue"' in body and 'id="widget-holds"' in body
    client.force_login(storekeeper)
    response = client.get("/reports/")
    body = response.content.decode()
    assert 'id="widget-warehouse_queue"' in body
    assert 'id="widget-pipeline"' not in body and "/reports/aging/" not in body
    released = Order.objects.filter(status="confirmed", fulfillment_status="released").count()
    assert response.context["board"]["widgets"][0]["data"]["released"] == released


def test_reports_entry_is_in_the_top_menu(generated, client):
    client.force_login(generated.managers[0])
    response = client.get("/orders/")
    assert any(item["url"] == "/reports/" for item in response.context["nav_items"])
