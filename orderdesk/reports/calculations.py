"""Report arithmetic: aging buckets, margins, the derived order state (pure, no Django)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
DEFAULT_BUCKETS = (30, 60, 90)
MAX_BUCKETS = 12
PAYMENT_DUE = ("prepayment_due", "partially_paid", "overdue")
NOT_SHIPPED = ("not_released", "released")


@dataclass(frozen=True)
class Bucket:
    """Days overdue from `low` to `high` inclusive; `high` None = no upper end; the
    "current" bucket (not yet due) has low = high = 0."""

    key: str
    low: int
    high: int | None

    @property
    def label(self) -> str:
        if self.key == "current":
            return "current"
        if self.high is None:
            return f"over {self.low - 1}"
        return f"{self.low}-{self.high}"


def buckets_problem(bounds: list[int]) -> str | None:
    """Why a list of upper bounds is not usable, as an error code; None when it is.

    Bounds are days overdue, positive, strictly ascending: [30, 60, 90] makes current,
    1-30, 31-60, 61-90 and over 90."""
    if not bounds or len(bounds) > MAX_BUCKETS:
        return "buckets_invalid"
    if any(b <= 0 for b in bounds):
        return "buckets_invalid"
    if any(b >= a2 for b, a2 in pairwise(bounds)):
        return "buckets_out_of_order"
    return None


def make_buckets(bounds: list[int] | tuple[int, ...]) -> list[Bucket]:
    out = [Bucket("current", 0, 0)]
    low = 1
    for high in bounds:
        out.append(Bucket(f"d{low}_{high}", low, high))
        low = high + 1
    out.append(Bucket(f"over_{low - 1}", low, None))
    return out


def bucket_of(due_date: dt.date | None, as_of: dt.date, buckets: list[Bucket]) -> Bucket:
    """The bucket of an item due on `due_date`, looked at on `as_of`."""
    days = 0 if due_date is None else (as_of - due_date).days
    if days <= 0:
        return buckets[0]
    for bucket in buckets[1:]:
        if bucket.high is None or days <= bucket.high:
            return bucket
    return buckets[-1]


def bucket_due_range(bucket: Bucket, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(earliest, latest) due date of the items in `bucket` on `as_of` (None = open end).

    `current` is everything due on or after `as_of` (and items without a due date)."""
    if bucket.key == "current":
        return as_of, None
    latest = as_of - dt.timedelta(days=bucket.low)
    earliest = None if bucket.high is None else as_of - dt.timedelta(days=bucket.high)
    return earliest, latest


def money(value: Decimal | float | int | None) -> Decimal:
    """A summed amount rounded to cents (SQLite sums decimals as floats: round them back)."""
    if value.__class__ is Decimal:  # the common case first: rows can be many
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    if value is None:
        return ZERO.quantize(CENT)
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | float | int | None) -> Decimal:
    if value is None:
        return ZERO.quantize(MILLI)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(MILLI, rounding=ROUND_HALF_UP)


def margin_percent(revenue: Decimal, margin: Decimal) -> Decimal | None:
    """Gross margin as a share of revenue, in percent with one decimal; None without revenue."""
    if not revenue:
        return None
    return (margin * HUNDRED / revenue).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def derive_state(status: str, fulfillment: str, payment: str) -> str:
    """The report state of an order (the same rules as `states.STATE_RULES`, in Python)."""
    simple = {
        "draft": "draft",
        "pending_approval": "awaiting_approval",
        "credit_hold": "credit_hold",
        "closed": "closed",
        "cancelled": "cancelled",
    }
    if status in simple:
        return simple[status]
    if status != "confirmed":
        return "other"
    if fulfillment == "partially_shipped":
        return "partially_shipped"
    if fulfillment == "shipped":
        return "shipped"
    if payment in PAYMENT_DUE:
        return "awaiting_payment"
    return "awaiting_shipment"


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "month":
        return day.replace(day=1)
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def period_label(start: dt.date | None, period: str) -> str:
    if start is None:
        return "—"
    if period == "month":
        return start.strftime("%Y-%m")
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()
