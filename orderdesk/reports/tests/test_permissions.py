"""Whose figures each role sees: own (sales manager), the team's (head of sales), all
(credit controller, accountant, administrator); the warehouse only its dashboard."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orderdesk.orders.models import Order
from orderdesk.reports.selectors import report_for

from .conftest import sql


def orders_of(user, **query) -> int:
    report = report_for("order_states")
    return sum(r["orders"] for r in report.iter_rows(user, report.parse(query)))


def customers_in_aging(user) -> set[int]:
    report = report_for("aging")
    return {r["customer"] for r in report.iter_rows(user, report.parse({}))}


def count_sql(where: str, params: dict) -> int:
    query = (
        "SELECT COUNT(*) FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id "
        f"WHERE {where}"
    )
    return sql(query, params)[0][0]


def test_a_sales_manager_sees_the_orders_of_own_customers(generated):
    manager = generated.managers[0]
    own = count_sql("c.manager_id = %(m)s", {"m": manager.pk})
    assert 0 < own < Order.objects.count()
    assert orders_of(manager) == own
    owing = {c for (c,) in sql(
        "SELECT DISTINCT customer_id FROM receivables_openitem WHERE open_amount > 0"
    )}  # fmt: skip
    mine = {c for (c,) in sql(
        "SELECT id FROM customers_customer WHERE manager_id = %(m)s", {"m": manager.pk}
    )}  # fmt: skip
    assert customers_in_aging(manager) == owing & mine


def test_a_head_of_sales_sees_the_teams_orders(generated):
    team = [m.pk for m in generated.team.members.all()]
    expected = count_sql("c.manager_id IN (" + ",".join(str(pk) for pk in team) + ")", {})
    assert orders_of(generated.head) == expected


@pytest.mark.parametrize("role", ["controller", "accountant", "admin_user"])
def test_control_and_accounting_see_every_figure(generated, request, role):
    user = request.getfixturevalue(role)
    assert orders_of(user) == Order.objects.count()


def test_a_manager_filtering_on_someone_elses_customer_gets_nothing(generated):
    mine, other = generated.managers[0], generated.managers[1]
    foreign = Order.objects.filter(customer__manager=other).values_list("customer_id", flat=True)[0]
    assert orders_of(mine, customer=str(foreign)) == 0


def test_the_warehouse_runs_no_report_but_has_its_dashboard(generated, storekeeper, client):
    api = APIClient()
    api.force_authenticate(storekeeper)
    for slug in ("order-states", "aging", "cancellations", "profitability"):
        response = api.get(f"/api/v1/reports/{slug}/")
        assert response.status_code == 403 and response.json()["code"] == "report_not_permitted"
    assert api.get("/api/v1/reports/").status_code == 403
    assert api.get("/api/v1/reports/variants/").status_code == 403
    board = api.get("/api/v1/reports/dashboard/").json()
    assert [w["key"] for w in board["widgets"]] == ["warehouse_queue"]

    client.force_login(storekeeper)
    page = client.get("/reports/profitability/")
    assert page.status_code == 403 and "report_not_permitted" in page.content.decode()
    assert client.get("/reports/aging/export/csv/").status_code == 403
    assert client.get("/reports/").status_code == 200


def test_a_user_without_a_role_sees_no_reports(db, client):
    from orderdesk.testing.factories import UserFactory

    nobody = UserFactory(username="nobody")
    client.force_login(nobody)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/aging/").status_code == 403
