"""Money helpers: one rounding rule (half up to the currency's minor unit), no floats."""

from decimal import Decimal

import pytest

from orderdesk.core.money import exponent, fmt, minor_unit, quantize, to_decimal

D = Decimal
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "UAH", "0.01"),
        ("0.015", "UAH", "0.02"),
        # the ties that banker's rounding (ROUND_HALF_EVEN) would send down
        ("0.025", "UAH", "0.03"),
        ("2.345", "EUR", "2.35"),
        ("0.004999", "UAH", "0.00"),
        ("-0.005", "UAH", "-0.01"),
        ("-2.345", "USD", "-2.35"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("1234.4999", "JPY", "1234"),
        ("10", "UAH", "10.00"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    result = quantize(D(amount), currency)
    assert result == D(expected)
    # the exponent is the currency's, so "10" becomes "10.00", not "10"
    assert str(result) == expected


def test_quantize_refuses_floats_and_ints():
    with pytest.raises(TypeError):
        quantize(0.1, "UAH")
    with pytest.raises(TypeError):
        quantize(1, "UAH")


def test_minor_unit_defaults_to_two_and_ignores_case():
    assert minor_unit("jpy") == 0
    assert minor_unit("UAH") == 2
    assert minor_unit("XTS") == 2
    assert exponent("JPY") == D("1")
    assert exponent("UAH") == D("0.01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", D("12.50")),
        ("12,50", D("12.50")),
        (" 1 250 000,75 ", D("1250000.75")),
        (7, D("7")),
        ("-3", D("-3")),
        (D("0.0001"), D("0.0001")),
    ],
)
def test_to_decimal_parses_what_people_type(text, expected):
    assert to_decimal(text) == expected


def test_to_decimal_keeps_the_given_decimal_exactly():
    value = D("1.2300")
    assert to_decimal(value) is value


@pytest.mark.parametrize("text", ["abc", "", "1.2.3", "NaN", "Infinity", "-inf", "1e"])
def test_to_decimal_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(ValueError):
        to_decimal(text)


def test_to_decimal_refuses_floats():
    with pytest.raises(TypeError):
        to_decimal(0.1)


def test_fmt_groups_thousands_and_rounds_like_quantize():
    assert fmt(D("1250000"), "UAH") == f"1{NNBSP}250{NNBSP}000.00 UAH"
    assert fmt(D("-1234.565"), "EUR") == f"-1{NNBSP}234.57 EUR"
    assert fmt(D("0"), "UAH") == "0.00 UAH"
    assert fmt(D("999.5"), "JPY") == f"1{NNBSP}000 JPY"
    assert fmt(D("12.3")) == "12.30"
