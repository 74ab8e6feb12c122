"""Pure arithmetic: minor units, commission by the terms, lines that add up, allocation plans."""

from decimal import Decimal

import pytest

from orderdesk.payments.calculations import (
    commission_by_terms,
    from_minor,
    line_adds_up,
    owed_by_intermediary,
    plan_allocation,
    to_minor,
)

D = Decimal


def test_minor_units_round_trip_exactly():
    for value in ("0.01", "1200.50", "99999999.99", "3"):
        assert from_minor(to_minor(D(value))) == D(value)
    assert to_minor(D("496.44")) == 49644
    assert from_minor("49644") == D("496.44")


def test_minor_units_refuse_a_third_decimal_place():
    with pytest.raises(ValueError):
        to_minor(D("1.005"))


def test_commission_is_percent_plus_fixed_per_item_rounded_half_up():
    assert commission_by_terms(D("1000.00"), percent=D("2"), fixed_per_item=D("20"), items=1) == D(
        "40.00"
    )
    assert commission_by_terms(D("10.25"), percent=D("2"), fixed_per_item=D("0"), items=3) == D(
        "0.21"
    )  # 0.205 rounds up
    assert commission_by_terms(D("100"), percent=D("1.5"), fixed_per_item=D("2"), items=3) == D(
        "7.50"
    )


def test_commission_never_exceeds_the_gross():
    assert commission_by_terms(D("5.00"), percent=D("0"), fixed_per_item=D("20"), items=1) == D(
        "5.00"
    )


def test_a_line_adds_up_by_the_way_the_commission_is_settled():
    assert line_adds_up(D("100"), D("3"), D("97"), withheld=True)
    assert not line_adds_up(D("100"), D("3"), D("98"), withheld=True)
    assert line_adds_up(D("100"), D("3"), D("100"), withheld=False)
    assert not line_adds_up(D("100"), D("3"), D("97"), withheld=False)
    assert owed_by_intermediary(D("100"), D("3"), D("100")) == D("-3")


def test_allocation_plan_fills_the_oldest_first_and_leaves_the_rest_out():
    items = [(1, D("100")), (2, D("50")), (3, D("70"))]
    assert plan_allocation(items, D("120")) == [(1, D("100")), (2, D("20"))]
    assert plan_allocation(items, D("500")) == items
    assert plan_allocation(items, D("0")) == []
