"""Bad input gets a clear refusal with a stable code, the same on the pages and the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orderdesk.reports.models import SavedReport
from orderdesk.reports.services import variant_save


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.mark.parametrize(
    ("slug", "query", "code", "field"),
    [
        ("order-states", {"colour": "red"}, "filter_unknown", "colour"),
        (
            "profitability",
            {"date_from": "2026-05-01", "date_to": "2026-04-01"},
            "date_range_reversed",
            "date_from",
        ),
        ("cancellations", {"date_from": "2026-13-01"}, "filter_invalid", "date_from"),
        ("aging", {"buckets": "60,30,90"}, "buckets_out_of_order", "buckets"),
        ("aging", {"buckets": "0"}, "buckets_invalid", "buckets"),
        ("order-states", {"group_by": "colour"}, "group_by_invalid", "group_by"),
        ("profitability", {"sort": "-colour"}, "sort_invalid", "sort"),
        ("order-states", {"state": "lost"}, "filter_invalid", "state"),
        ("order-states", {"manager": "abc"}, "filter_invalid", "manager"),
        ("aging", {"bucket": "d1_45"}, "filter_invalid", "bucket"),
    ],
)
def test_bad_parameters_are_refused_with_codes(api, client, manager, slug, query, code, field):
    response = api.get(f"/api/v1/reports/{slug}/", query)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["fields"]

    client.force_login(manager)
    page = client.get(f"/reports/{slug}/", query)
    assert page.status_code == 400
    assert code in page.content.decode()
    assert page.context["rows"] == []

    export = client.get(f"/reports/{slug}/export/csv/", query)
    assert export.status_code == 400 and code in export.content.decode()


def test_another_users_private_variant_is_not_found(api, client, manager, other_manager):
    private = variant_save(by=other_manager, report="aging", name="Mine", params={"buckets": "15"})

    response = api.get("/api/v1/reports/aging/", {"variant": private.pk})
    assert response.status_code == 404 and response.json()["code"] == "variant_not_found"
    assert api.get(f"/api/v1/reports/variants/{private.pk}/").status_code == 404
    assert api.delete(f"/api/v1/reports/variants/{private.pk}/").status_code == 404
    assert SavedReport.objects.filter(pk=private.pk).exists()

    client.force_login(manager)
    page = client.get("/reports/aging/", {"variant": private.pk})
    assert page.status_code == 404 and "variant_not_found" in page.content.decode()
    assert client.get("/reports/aging/export/csv/", {"variant": private.pk}).status_code == 404


def test_a_variant_of_another_report_is_not_found(api, manager):
    mine = variant_save(by=manager, report="aging", name="A", params={})
    response = api.get("/api/v1/reports/profitability/", {"variant": mine.pk})
    assert response.status_code == 404 and response.json()["code"] == "variant_not_found"


def test_an_unknown_report_and_export_format_are_not_found(api, client, manager):
    assert api.get("/api/v1/reports/sales-forecast/").json()["code"] == "report_not_found"
    assert api.get("/api/v1/reports/aging/export/docx/").json()["code"] == "export_format_unknown"
    client.force_login(manager)
    assert client.get("/reports/sales-forecast/").status_code == 404
    assert client.get("/reports/aging/export/docx/").status_code == 404


def test_page_size_is_bounded(api):
    response = api.get("/api/v1/reports/aging/", {"page_size": 100000})
    assert response.status_code == 400 and response.json()["code"] == "filter_invalid"


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"reason": "abc"}, "filter_invalid", "reason"),
        ({"product": "x1"}, "filter_invalid", "product"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_range_reversed", "date_from"),
        ({"group_by": "reason,warehouse"}, "group_by_invalid", "group_by"),
        ({"as_of": "2026-05-01"}, "filter_unknown", "as_of"),
    ],
)
def test_the_cancellation_report_refuses_bad_filters_before_reading(api, query, code, field):
    response = api.get("/api/v1/reports/cancellations/", query)
    assert response.status_code == 400
    assert response.json()["code"] == code and field in response.json()["fields"]


def test_buckets_out_of_order_are_refused_in_a_saved_variant_too(api):
    response = api.post(
        "/api/v1/reports/variants/",
        {"report": "aging", "name": "Odd", "params": {"buckets": "90,60"}},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "buckets_out_of_order"
    assert not SavedReport.objects.exists()


def test_another_users_variant_cannot_be_changed_through_the_api(api, manager, other_manager):
    private = variant_save(by=other_manager, report="aging", name="Mine", params={})
    shared = variant_save(
        by=other_manager, report="aging", name="Ours", params={}, shared_role="sales_manager"
    )
    change = {"report": "aging", "name": "Taken", "params": {"buckets": "7"}}

    assert api.put(f"/api/v1/reports/variants/{private.pk}/", change, format="json").json()[
        "code"
    ] == ("variant_not_found")
    # a variant shared with the user's role is usable, but only its owner changes it
    assert api.get("/api/v1/reports/aging/", {"variant": shared.pk}).status_code == 200
    response = api.put(f"/api/v1/reports/variants/{shared.pk}/", change, format="json")
    assert response.status_code == 404 and response.json()["code"] == "variant_not_found"
    assert api.delete(f"/api/v1/reports/variants/{shared.pk}/").status_code == 404
    assert {v.name for v in SavedReport.objects.all()} == {"Mine", "Ours"}


@pytest.mark.parametrize("value", ["abc", "-1", "99999999"])
def test_a_variant_id_that_is_not_one_is_not_found(api, value):
    response = api.get("/api/v1/reports/order-states/", {"variant": value})
    assert response.status_code == 404 and response.json()["code"] == "variant_not_found"
