"""Order arithmetic without a database: line totals, header totals, base currency, prices."""

from decimal import Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderdesk.orders.calculations import (
    NO_AMOUNTS,
    Amounts,
    convert_price,
    decimal_fits,
    line_amounts,
    net_price,
    order_totals,
    schedule_excess,
    to_base,
)

D = Decimal
# ISO 4217 minor units, written out here rather than read from the code under test
MINOR = {"UAH": 2, "USD": 2, "EUR": 2, "PLN": 2, "JPY": 0}


def unit(currency: str) -> Decimal:
    return D(1).scaleb(-MINOR[currency])


def assert_rounded_half_up(rounded: Decimal, exact: Decimal, currency: str) -> None:
    """`rounded` is `exact` (not negative) rounded half up to the currency's minor unit:
    in the currency's exponent and within (-u/2, +u/2] of the exact value."""
    u = unit(currency)
    assert rounded.as_tuple().exponent == -MINOR[currency], (rounded, currency)
    assert -u / 2 < rounded - exact <= u / 2, (rounded, exact, currency)


def line(qty, price, discount="0", vat="20", currency="UAH") -> Amounts:
    return line_amounts(
        quantity=D(qty),
        unit_price=D(price),
        discount_percent=D(discount),
        vat_rate=D(vat),
        currency=currency,
    )


# --- examples -------------------------------------------------------------------------------


def test_a_line_is_quantity_times_price_less_discount_plus_vat():
    assert line("10", "100.00", "5") == Amounts(D("950.00"), D("190.00"), D("1140.00"))


def test_a_tie_rounds_up_not_to_even():
    assert line("1", "0.125", vat="0").net == D("0.13")
    assert line("1", "0.135", vat="0").net == D("0.14")


def test_vat_is_taken_on_the_rounded_net():
    # net 0.035 -> 0.04; 14 % of 0.04 = 0.0056 -> 0.01 (14 % of the exact 0.035 would give 0.00)
    assert line("1", "0.035", vat="14") == Amounts(D("0.04"), D("0.01"), D("0.05"))


def test_a_currency_without_minor_units_rounds_to_whole_units():
    assert line("3", "333.5", vat="10", currency="JPY") == Amounts(D("1001"), D("100"), D("1101"))


def test_a_full_discount_and_a_zero_vat_rate_give_zero():
    assert line("7", "19.99", discount="100") == Amounts(D("0.00"), D("0.00"), D("0.00"))
    assert line("2", "10", vat="0").vat == D("0.00")


def test_the_header_is_the_exact_sum_of_rounded_lines():
    lines = [line("1", "33.333"), line("1", "33.333"), line("1", "33.334")]
    assert [a.net for a in lines] == [D("33.33"), D("33.33"), D("33.33")]
    total = order_totals(lines)
    # not 100.00: rounding happens at the lines and the header only adds them up
    assert total == Amounts(D("99.99"), D("20.01"), D("120.00"))
    assert order_totals([]) == NO_AMOUNTS


def test_base_totals_are_the_header_at_the_rate_each_rounded_once():
    totals = Amounts(D("100.00"), D("20.00"), D("120.00"))
    assert to_base(totals, rate=D("41.234567"), base_currency="UAH") == Amounts(
        D("4123.46"), D("824.69"), D("4948.15")
    )
    assert to_base(totals, rate=D("1"), base_currency="UAH") == totals


def test_convert_price_goes_through_both_base_rates_to_four_places():
    assert convert_price(D("10"), from_rate=D("45.5"), to_rate=D("1")) == D("455.0000")
    assert convert_price(D("100"), from_rate=D("1"), to_rate=D("41.25")) == D("2.4242")
    assert convert_price(D("0.00005"), from_rate=D("1"), to_rate=D("1")) == D("0.0001")


def test_net_price_takes_vat_out_of_a_vat_inclusive_price():
    assert net_price(D("120"), vat_rate=D("20"), includes_vat=True) == D("100.0000")
    assert net_price(D("100"), vat_rate=D("7"), includes_vat=True) == D("93.4579")
    assert net_price(D("120"), vat_rate=D("20"), includes_vat=False) == D("120")
    assert net_price(D("50"), vat_rate=D("0"), includes_vat=True) == D("50.0000")


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        ("1.001", True),
        ("1.0001", False),
        ("123456789012345", True),  # 15 digits before the point in DECIMAL(18, 3)
        ("1234567890123456", False),
        ("123456789012345.999", True),
        ("-5.5", True),
        ("0", True),
        ("1E+20", False),
        ("1E-10", False),
        # trailing zeros add no digits: 1.2000 is 1.2 and fits three places
        ("1.2000", True),
        ("0.0000", True),
        ("NaN", False),
        ("Infinity", False),
    ],
)
def test_decimal_fits_a_decimal_18_3_column(value, fits):
    assert decimal_fits(D(value), max_digits=18, places=3) is fits


def test_schedule_excess_is_what_the_schedule_adds_beyond_the_quantity():
    assert schedule_excess(D("10"), [D("4"), D("6")]) == D("0")
    assert schedule_excess(D("10"), [D("4"), D("7.5")]) == D("1.5")
    assert schedule_excess(D("10"), []) == D("0")


# --- properties -----------------------------------------------------------------------------

currencies = st.sampled_from(sorted(MINOR))
line_inputs = st.fixed_dictionaries(
    {
        "quantity": st.decimals(min_value=D("0.001"), max_value=D("100000"), places=3),
        "unit_price": st.decimals(min_value=D("0"), max_value=D("1000000"), places=4),
        "discount_percent": st.decimals(min_value=D("0"), max_value=D("100"), places=2),
        "vat_rate": st.one_of(
            st.sampled_from([D("0"), D("7"), D("14"), D("20")]),
            st.decimals(min_value=D("0"), max_value=D("100"), places=2),
        ),
    }
)
rates = st.decimals(min_value=D("0.000001"), max_value=D("200"), places=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(currency=currencies, inputs=st.lists(line_inputs, max_size=25), rate=rates)
def test_property_lines_round_half_up_and_sum_to_the_header(currency, inputs, rate):
    lines = [line_amounts(currency=currency, **li) for li in inputs]

    for li, amounts in zip(inputs, lines, strict=True):
        with localcontext() as ctx:
            ctx.prec = 60  # the exact values, whatever the default context
            exact_net = li["quantity"] * li["unit_price"] * (100 - li["discount_percent"]) / 100
            exact_vat = amounts.net * li["vat_rate"] / 100
        assert_rounded_half_up(amounts.net, exact_net, currency)
        assert_rounded_half_up(amounts.vat, exact_vat, currency)
        assert amounts.gross == amounts.net + amounts.vat

    header = order_totals(lines)
    assert header.net == sum((a.net for a in lines), D(0))
    assert header.vat == sum((a.vat for a in lines), D(0))
    assert header.gross == sum((a.gross for a in lines), D(0))
    assert header.gross == header.net + header.vat
    if lines:
        assert header.net.as_tuple().exponent == -MINOR[currency]

    base = to_base(header, rate=rate, base_currency="UAH")
    assert_rounded_half_up(base.net, header.net * rate, "UAH")
    assert_rounded_half_up(base.vat, header.vat * rate, "UAH")
    assert base.gross == base.net + base.vat


@settings(max_examples=200, deadline=None)
@given(
    value=st.decimals(min_value=D("-1e20"), max_value=D("1e20"), places=None),
    max_digits=st.integers(min_value=1, max_value=18),
    places=st.integers(min_value=0, max_value=6),
)
def test_property_decimal_fits_exactly_when_the_column_keeps_the_value(value, max_digits, places):
    places = min(places, max_digits)
    with localcontext() as ctx:
        ctx.prec = 200
        stored = value.quantize(D(1).scaleb(-places))
    keeps_value = stored == value
    in_range = abs(stored) < D(10) ** (max_digits - places)
    assert decimal_fits(value, max_digits=max_digits, places=places) is (keeps_value and in_range)
