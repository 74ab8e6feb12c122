"""Rules as data: which rules fire and the merged route (no orders involved)."""

from decimal import Decimal

import pytest

from orderdesk.approvals import services
from orderdesk.core.navigation import menu_for
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def dev(kind, value="10", line=None):
    return {"kind": kind, "value": value, "standard": "0", "line": line}


def test_threshold_and_merge_by_position(admin_user, head):
    cc = UserFactory(username="cc", roles=["credit_controller"])
    services.rule_save(by=admin_user, name="cap", kind="discount_over_cap", threshold="5",
                       stages=[{"role": "sales_head"}])  # fmt: skip
    services.rule_save(by=admin_user, name="terms", kind="payment_terms_longer",
                       stages=[{"role": "sales_head"}, {"users": [cc.pk], "mode": "all"}])  # fmt: skip
    route = services.route_for([dev("discount_over_cap", "4")], amount=Decimal("1"), authors=[])
    assert route["needed"] is False
    route = services.route_for(
        [dev("discount_over_cap", "6"), dev("payment_terms_longer", "30")],
        amount=Decimal("1"),
        authors=[],
    )
    assert [s["position"] for s in route["stages"]] == [1, 2]
    assert route["stages"][0]["rules"] == ["cap", "terms"]  # one head-of-sales stage
    assert route["stages"][1]["approvers"] == [{"id": cc.pk, "name": cc.get_full_name()}]
    # authors are left out of the approvers
    route = services.route_for([dev("payment_terms_longer")], amount=Decimal("1"), authors=[cc.pk])
    assert route["stages"][1]["approvers"] == []


def test_inactive_rules_do_not_fire(admin_user):
    rule = services.rule_save(
        by=admin_user, name="x", kind="currency_differs", stages=[{"role": "sales_head"}]
    )
    services.rule_save(by=admin_user, rule=rule, name="x", kind="currency_differs", active=False,
                       stages=[{"role": "sales_head"}])  # fmt: skip
    assert services.fired_rules([dev("currency_differs", "EUR")]) == []


def test_the_menu_shows_the_inbox_count(rf, head):
    request = rf.get("/")
    request.user = head
    item = next(i for i in menu_for(request) if str(i["label"]) == "Approvals")
    assert item["badge"] is None
