"""Core writes and look-ups shared by every app: exchange rates and number series."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from . import cache
from .errors import ValidationFailed
from .models import Currency, ExchangeRate, NumberSeries

cache.track(Currency)


def base_currency() -> str:
    return settings.ORDERDESK["BASE_CURRENCY"]


def currency_get(code: str) -> Currency:
    """The active currency `code`; raises `currency_unknown`.

    Inside a reference-data scope (core.cache) it comes from the process cache of all
    currencies, checked against the reference token of this transaction: no statement."""
    code = (code or "").upper()
    if cache.in_scope():
        found = cache.cached("core.currencies", _currencies).get(code)
        if found is not None and found.active:
            return found
        found = None
    else:
        found = Currency.objects.filter(code=code, active=True).first()
    if found is None:
        raise ValidationFailed(
            _("Unknown or inactive currency “%(code)s”.") % {"code": code},
            code="currency_unknown",
            fields={"currency": code},
        )
    return found


def _currencies() -> dict[str, Currency]:
    return {c.code: c for c in Currency.objects.all()}


def rate_for(currency: str, on: dt.date) -> Decimal:
    """Base-currency units for one unit of `currency` on `on` (the latest rate not after it).

    Raises `exchange_rate_missing` when no rate exists on or before the date.
    """
    if currency == base_currency():
        return Decimal("1")
    rate = (
        ExchangeRate.objects.filter(currency_id=currency, date__lte=on)
        .order_by("-date")
        .values_list("rate", "units")
        .first()
    )
    if rate is None:
        raise ValidationFailed(
            _("No exchange rate for %(currency)s on or before %(date)s.")
            % {"currency": currency, "date": on.isoformat()},
            code="exchange_rate_missing",
            fields={"currency": currency},
        )
    value, units = rate
    return (Decimal(value) / Decimal(units)).quantize(Decimal("0.000001"))


def exchange_rate_set(
    *, currency: str, date: dt.date, rate: Decimal, units: int = 1
) -> ExchangeRate:
    """Record the rate of a day (replaces that day's rate).

    Raises `currency_unknown`, `rate_not_positive`, `units_not_positive`.
    """
    currency = currency_get(currency).code
    if rate <= 0:
        raise ValidationFailed(_("A rate must be positive."), code="rate_not_positive")
    if units < 1:
        raise ValidationFailed(_("Units must be at least 1."), code="units_not_positive")
    obj, _created = ExchangeRate.objects.update_or_create(
        currency_id=currency, date=date, defaults={"rate": rate, "units": units}
    )
    return obj


def number_next(*, key: str, year: int) -> int:
    """Take the next number of series (key, year), gap-free.

    One statement: insert the counter row or bump it, returning the new value. The row stays
    locked until the caller's transaction ends, so call it as late as possible in that
    transaction: every other taker of the series waits on this row. A rollback gives the
    number back, so the series has no gaps.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next() must run inside the transaction that uses the number")
    table = NumberSeries._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "year", "last_value") VALUES (%s, %s, 1) '
            f'ON CONFLICT ("key", "year") DO UPDATE SET "last_value" = {table}."last_value" + 1 '
            'RETURNING "last_value"',
            [key, year],
        )
        return int(cursor.fetchone()[0])
