"""The active rules and their stages are reference data (core.cache): read once per token;
a rule saved or deleted is seen by the next read; named approvers are always read afresh."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderdesk.approvals import services
from orderdesk.core import cache
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def dev(kind, value="10"):
    return {"kind": kind, "value": value, "standard": "0", "line": None}


def route(*devs):
    with cache.scope(cache.current_token()):
        return services.route_for(list(devs), amount=Decimal("100"), authors=[])


def tables(ctx) -> list[str]:
    return [q["sql"].split('FROM "', 1)[1].split('"', 1)[0] for q in ctx.captured_queries]


def test_inside_a_scope_the_rules_are_read_once(admin_user):
    services.rule_save(by=admin_user, name="cur", kind="currency_differs",
                       stages=[{"role": "sales_head"}])  # fmt: skip
    route(dev("payment_terms_longer"))
    with CaptureQueriesContext(connection) as ctx:
        nothing = route(dev("payment_terms_longer"))
        fired = route(dev("currency_differs", "EUR"))
    assert nothing["needed"] is False
    assert fired["needed"] is True and fired["rules"][0]["name"] == "cur"
    # the token, then only the approvers of the role stage that fired
    assert "approvals_approvalrule" not in tables(ctx)
    assert "approvals_rulestage" not in tables(ctx)


def test_the_approvers_for_deviations_read_no_rules_inside_a_scope(admin_user):
    route(dev("currency_differs"))
    with cache.scope(cache.current_token()), CaptureQueriesContext(connection) as ctx:
        assert services.approvers_for([dev("currency_differs")]) == [[]]
    assert ctx.captured_queries == []


def test_a_saved_or_deleted_rule_is_seen_by_the_next_read(admin_user):
    assert route(dev("currency_differs"))["needed"] is False
    rule = services.rule_save(by=admin_user, name="cur", kind="currency_differs",
                              stages=[{"role": "sales_head"}])  # fmt: skip
    assert route(dev("currency_differs"))["needed"] is True
    services.rule_save(by=admin_user, rule=rule, name="cur", kind="currency_differs",
                       threshold="5", stages=[{"role": "sales_head"}])  # fmt: skip
    assert route(dev("currency_differs", "4"))["needed"] is False
    services.rule_delete(by=admin_user, rule=rule)
    assert route(dev("currency_differs", "6"))["needed"] is False


def test_named_approvers_are_read_afresh(admin_user):
    cc = UserFactory(username="cc", roles=["credit_controller"])
    services.rule_save(by=admin_user, name="terms", kind="payment_terms_longer",
                       stages=[{"users": [cc.pk]}])  # fmt: skip
    assert route(dev("payment_terms_longer"))["stages"][0]["approvers"][0]["id"] == cc.pk
    with cache.scope(cache.current_token()):
        assert services.approvers_for([dev("payment_terms_longer")]) == [["cc"]]
    cc.is_active = False
    cc.save()  # users are not tracked: the rules stay cached, their people do not
    assert route(dev("payment_terms_longer"))["stages"][0]["approvers"] == []
