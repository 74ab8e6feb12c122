"""Report arithmetic without a database: buckets, the derived state, margins, periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import pytest

from orderdesk.reports import calculations as calc

DAY = dt.date(2026, 3, 31)


def test_default_buckets_are_current_then_30_60_90_and_over():
    buckets = calc.make_buckets([30, 60, 90])
    assert [b.key for b in buckets] == ["current", "d1_30", "d31_60", "d61_90", "over_90"]
    assert [b.label for b in buckets] == ["current", "1-30", "31-60", "61-90", "over 90"]


@pytest.mark.parametrize(
    ("due", "key"),
    [
        (None, "current"),
        (DAY, "current"),
        (DAY + dt.timedelta(days=5), "current"),
        (DAY - dt.timedelta(days=1), "d1_30"),
        (DAY - dt.timedelta(days=30), "d1_30"),
        (DAY - dt.timedelta(days=31), "d31_60"),
        (DAY - dt.timedelta(days=90), "d61_90"),
        (DAY - dt.timedelta(days=91), "over_90"),
    ],
)
def test_an_item_falls_in_the_bucket_of_its_days_overdue(due, key):
    assert calc.bucket_of(due, DAY, calc.make_buckets([30, 60, 90])).key == key


def test_bucket_due_ranges_cover_the_days_without_gaps():
    buckets = calc.make_buckets([30, 60, 90])
    ranges = [calc.bucket_due_range(b, DAY) for b in buckets]
    assert ranges[0] == (DAY, None)
    assert ranges[1] == (DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1))
    assert ranges[-1] == (None, DAY - dt.timedelta(days=91))
    # each older bucket ends the day before the younger one begins
    for younger, older in pairwise(ranges[1:]):
        assert older[1] == younger[0] - dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("bounds", "problem"),
    [
        ([30, 60, 90], None),
        ([7], None),
        ([], "buckets_invalid"),
        ([0, 30], "buckets_invalid"),
        ([-5], "buckets_invalid"),
        ([60, 30], "buckets_out_of_order"),
        ([30, 30, 60], "buckets_out_of_order"),
        (list(range(1, 15)), "buckets_invalid"),
    ],
)
def test_bucket_bounds_must_be_positive_and_ascending(bounds, problem):
    assert calc.buckets_problem(bounds) == problem


@pytest.mark.parametrize(
    ("status", "fulfillment", "payment", "state"),
    [
        ("draft", "not_released", "not_due", "draft"),
        ("pending_approval", "not_released", "not_due", "awaiting_approval"),
        ("credit_hold", "not_released", "prepayment_due", "credit_hold"),
        ("confirmed", "not_released", "prepayment_due", "awaiting_payment"),
        ("confirmed", "released", "overdue", "awaiting_payment"),
        ("confirmed", "released", "partially_paid", "awaiting_payment"),
        ("confirmed", "released", "paid", "awaiting_shipment"),
        ("confirmed", "not_released", "not_due", "awaiting_shipment"),
        ("confirmed", "partially_shipped", "overdue", "partially_shipped"),
        ("confirmed", "shipped", "partially_paid", "shipped"),
        ("closed", "shipped", "paid", "closed"),
        ("cancelled", "not_released", "not_due", "cancelled"),
        ("archived", "shipped", "paid", "other"),
    ],
)
def test_the_report_state_derives_from_status_fulfillment_and_payment(
    status, fulfillment, payment, state
):
    assert calc.derive_state(status, fulfillment, payment) == state


def test_margin_percent_is_of_revenue_and_none_without_revenue():
    assert calc.margin_percent(Decimal("200"), Decimal("50")) == Decimal("25.0")
    assert calc.margin_percent(Decimal("300"), Decimal("-100")) == Decimal("-33.3")
    assert calc.margin_percent(Decimal("0"), Decimal("-10")) is None


def test_periods_start_on_the_first_day_and_have_readable_labels():
    day = dt.date(2026, 3, 19)  # a Thursday
    assert calc.period_start(day, "month") == dt.date(2026, 3, 1)
    assert calc.period_start(day, "week") == dt.date(2026, 3, 16)
    assert calc.period_label(dt.date(2026, 3, 1), "month") == "2026-03"
    assert calc.period_label(dt.date(2026, 3, 16), "week") == "2026-W12"
    assert calc.money(0.1 + 0.2) == Decimal("0.30")
