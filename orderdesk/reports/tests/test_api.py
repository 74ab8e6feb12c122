"""The report API: the same reports and filters as the pages, paged rows with drill-down
links, totals; the statuses of approvals and credit control appear as report states."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orderdesk.orders.models import Order
from orderdesk.reports.selectors.dashboards import approvals, holds
from orderdesk.testing.factories import UserFactory


@pytest.fixture
def api(db):
    client = APIClient()
    client.force_authenticate(UserFactory(username="report.admin", roles=["administrator"]))
    return client


def test_the_list_names_every_report_with_its_filters(api):
    results = api.get("/api/v1/reports/").json()["results"]
    assert [r["slug"] for r in results] == [
        "order-states",
        "aging",
        "cancellations",
        "profitability",
    ]
    aging = results[1]
    assert {"as_of", "buckets", "customer", "contract"} <= set(aging["filters"])
    assert aging["group_by"] == ["customer", "contract", "manager", "currency"]


def test_a_report_answers_columns_rows_totals_and_pages(generated, api):
    first = api.get("/api/v1/reports/profitability/", {"group_by": "order", "page_size": 10})
    assert first.status_code == 200
    data = first.json()
    assert [c["key"] for c in data["columns"]][:3] == ["order", "quantity", "revenue"]
    assert len(data["rows"]) == 10 and data["has_more"] is True
    row = data["rows"][0]
    assert row["order_label"] and Decimal(row["revenue"]) >= Decimal(data["rows"][-1]["revenue"])
    assert row["drilldown"].startswith("http://testserver/reports/profitability/drill/?")
    second = api.get(
        "/api/v1/reports/profitability/", {"group_by": "order", "page_size": 10, "page": 2}
    ).json()
    assert {r["order"] for r in second["rows"]}.isdisjoint({r["order"] for r in data["rows"]})
    everything = api.get("/api/v1/reports/profitability/", {"group_by": "order", "page_size": 5000})
    total = sum(Decimal(r["revenue"]) for r in everything.json()["rows"])
    assert abs(total - Decimal(data["totals"]["revenue"])) <= Decimal("0.01") * len(
        everything.json()["rows"]
    )


def test_approval_and_credit_hold_statuses_are_report_states(generated, api):
    drafts = list(Order.objects.filter(status="draft").order_by("pk")[:3])
    Order.objects.filter(pk__in=[drafts[0].pk, drafts[1].pk]).update(status="pending_approval")
    Order.objects.filter(pk=drafts[2].pk).update(status="credit_hold")

    rows = api.get("/api/v1/reports/order-states/").json()["rows"]
    by_state = {r["state"]: r["orders"] for r in rows}
    assert by_state["awaiting_approval"] == 2 and by_state["credit_hold"] == 1
    admin = api.handler._force_user
    assert approvals(admin) == {"orders": 2} and holds(admin) == {"orders": 1}
    only = api.get("/api/v1/reports/order-states/", {"state": "credit_hold"}).json()["rows"]
    assert [(r["state"], r["orders"]) for r in only] == [("credit_hold", 1)]
