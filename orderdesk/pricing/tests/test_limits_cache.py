"""The manager's limits read inside a query made anyway: the cap and the budget exactly, in
that statement; the one limits row from the reference cache (core.cache)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderdesk.core import cache
from orderdesk.pricing import services
from orderdesk.pricing.selectors import limits_for, limits_subqueries
from orderdesk.testing.factories import UserFactory

D = Decimal
ON = dt.date(2026, 11, 2)


def annotated(user, on=ON):
    """A row of a query made anyway that names the manager and the day (here: the user)."""
    User = get_user_model()
    return (
        User.objects.filter(pk=user.pk)
        .annotate(the_day=cache_value(on))
        .annotate(**limits_subqueries(manager_field="pk", day_field="the_day"))
        .get()
    )


def cache_value(on):
    from django.db.models import DateField, Value

    return Value(on, output_field=DateField())


def in_scope(call):
    with cache.scope(cache.current_token()):
        return call()


def test_annotated_limits_read_nothing_but_the_cached_limits_row(admin_user, manager):
    services.pricing_limits_update(by=admin_user, max_order_discount_percent="12")
    services.discount_budget_create(
        by=admin_user, manager=manager, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), amount="100",
    )  # fmt: skip
    row = annotated(manager)
    token = cache.current_token()
    with cache.scope(token):
        limits_for(manager=manager, on=ON, known=row)  # loads the limits row once
        with CaptureQueriesContext(connection) as ctx:
            mine = limits_for(manager=manager, on=ON, known=row)
    assert ctx.captured_queries == []
    direct = limits_for(manager=manager, on=ON)
    assert (mine.cap, mine.budget.amount, mine.budget.period_end) == (
        direct.cap,
        direct.budget.amount,
        direct.budget.period_end,
    )
    assert (mine.cap, mine.budget.amount) == (D("5"), D("100"))
    assert mine.limits.max_order_discount_percent == D("12")


def test_a_limits_change_is_seen_by_the_next_read(admin_user, manager):
    row = annotated(manager)
    in_scope(lambda: limits_for(manager=manager, on=ON, known=row))
    services.pricing_limits_update(by=admin_user, max_order_discount_percent="7")
    mine = in_scope(lambda: limits_for(manager=manager, on=ON, known=row))
    assert mine.limits.max_order_discount_percent == D("7")


def test_the_budget_and_cap_are_exact_not_cached(admin_user, manager):
    row = annotated(manager)
    assert in_scope(lambda: limits_for(manager=manager, on=ON, known=row)).budget is None
    services.discount_budget_create(
        by=admin_user, manager=manager, period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30), amount="40",
    )  # fmt: skip
    services.role_caps_set(by=admin_user, caps={"sales_manager": "3"})
    mine = in_scope(lambda: limits_for(manager=manager, on=ON, known=annotated(manager)))
    assert (mine.cap, mine.budget.amount) == (D("3"), D("40"))


def test_the_largest_cap_of_the_roles_and_the_administrators_for_a_superuser(admin_user):
    both = UserFactory(username="both", roles=["sales_manager", "sales_head"])
    for user in (both, admin_user):
        direct = limits_for(manager=user, on=ON)
        assert limits_for(manager=user, on=ON, known=annotated(user)).cap == direct.cap
    assert limits_for(manager=both, on=ON, known=annotated(both)).cap == D("15")


def test_a_row_read_for_another_manager_or_day_is_not_used(manager, other_manager):
    row = annotated(other_manager)
    with CaptureQueriesContext(connection) as ctx:
        limits_for(manager=manager, on=ON, known=row)
        limits_for(manager=other_manager, on=ON + dt.timedelta(days=1), known=row)
    assert len(ctx.captured_queries) == 2  # each read afresh
