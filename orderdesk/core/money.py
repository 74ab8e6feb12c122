"""Money: Decimal only, one rounding rule, applied at line totals and document totals.

`quantize(amount, currency)` rounds half up to the currency's minor unit (ISO 4217).
Amount columns hold two decimal places, so currencies with more minor digits are refused
where currencies are defined.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies a Ukrainian/Eastern European seller meets;
# anything not listed has two.
MINOR_UNITS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "HUF": 2,
    "UAH": 2,
    "EUR": 2,
    "USD": 2,
    "PLN": 2,
    "GBP": 2,
    "CHF": 2,
    "CZK": 2,
    "RON": 2,
    "MDL": 2,
    "BGN": 2,
}
MAX_MINOR_UNIT = 2
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def minor_unit(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


def exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    return amount.quantize(exponent(currency), rounding=ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """Parse user input into a Decimal; floats are refused (they carry binary noise)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("floats are not money; pass a string or Decimal")
    try:
        result = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def fmt(amount: Decimal, currency: str = "") -> str:
    """Thin-space grouped amount for display ("1 250 000.00 UAH")."""
    q = quantize(amount, currency or "UAH")
    sign = "-" if q < 0 else ""
    whole, _, frac = f"{abs(q):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + "\u202f".join(groups or ["0"]) + (f".{frac}" if frac else "")
    return f"{text} {currency}".strip()
