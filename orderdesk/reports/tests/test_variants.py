"""Saved variants: per user, private or shared with a role; only the owner changes them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orderdesk.core.errors import DomainError
from orderdesk.reports.models import SavedReport
from orderdesk.reports.selectors import variants_for
from orderdesk.reports.services import variant_delete, variant_save


def test_a_saved_variant_runs_the_report_with_its_parameters(manager):
    api = APIClient()
    api.force_authenticate(manager)
    created = api.post(
        "/api/v1/reports/variants/",
        {
            "report": "aging",
            "name": "Fortnights",
            "params": {"buckets": "14,28", "group_by": "currency"},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    variant = created.json()
    assert variant["visibility"] == "private" and variant["mine"] is True
    assert variant["params"] == {"buckets": "14,28", "group_by": "currency"}

    response = api.get("/api/v1/reports/aging/", {"variant": variant["id"]})
    assert response.status_code == 200
    keys = [c["key"] for c in response.json()["columns"]]
    assert keys[:4] == ["currency", "current", "d1_14", "d15_28"]
    # a parameter of the request goes on top of the variant's
    response = api.get("/api/v1/reports/aging/", {"variant": variant["id"], "buckets": "7"})
    assert [c["key"] for c in response.json()["columns"]][2] == "d1_7"


def test_invalid_parameters_are_not_saved(manager):
    with pytest.raises(DomainError) as info:
        variant_save(by=manager, report="aging", name="Bad", params={"buckets": "90,30"})
    assert info.value.code == "buckets_out_of_order"
    with pytest.raises(DomainError) as info:
        variant_save(by=manager, report="aging", name="Bad", params={"colour": "red"})
    assert info.value.code == "filter_unknown"
    assert not SavedReport.objects.exists()


def test_shared_variants_reach_the_role_and_private_ones_only_the_owner(
    manager, other_manager, head
):
    shared = variant_save(
        by=manager, report="profitability", name="Team margins", params={"group_by": "manager"},
        shared_role="sales_head",
    )  # fmt: skip
    private = variant_save(by=manager, report="profitability", name="Mine", params={})

    assert set(variants_for(manager)) == {shared, private}
    assert list(variants_for(head)) == [shared]
    assert list(variants_for(other_manager)) == []


def test_only_the_owner_changes_or_deletes_a_variant(manager, head):
    shared = variant_save(
        by=manager, report="aging", name="Shared", params={}, shared_role="sales_head"
    )
    with pytest.raises(DomainError) as info:
        variant_delete(by=head, variant=shared)
    assert info.value.code == "variant_not_found"
    with pytest.raises(DomainError) as info:
        variant_save(by=head, report="aging", name="Taken over", params={}, variant=shared)
    assert info.value.code == "variant_not_found"
    variant_delete(by=manager, variant=shared)
    assert not SavedReport.objects.exists()


def test_names_are_unique_per_user_and_report(manager):
    variant_save(by=manager, report="aging", name="Weekly", params={})
    with pytest.raises(DomainError) as info:
        variant_save(by=manager, report="aging", name="Weekly", params={"buckets": "7"})
    assert info.value.code == "variant_name_taken" and info.value.status == 409
    variant_save(by=manager, report="profitability", name="Weekly", params={})


def test_saving_from_the_page_keeps_the_page_parameters(manager, client):
    client.force_login(manager)
    response = client.post(
        "/reports/order-states/variants/",
        {"name": "By month", "query": "group_by=state,period&period=week", "shared_role": ""},
    )
    variant = SavedReport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?variant={variant.pk}")
    assert variant.params == {"group_by": "state,period", "period": "week"}
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["variant"] == variant
    assert page.context["group_by"] == ["state", "period"]
