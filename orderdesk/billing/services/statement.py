"""Importing a bank statement (CSV) as payments, with a preview first.

The accountant maps the file's columns to our fields (date, amount, currency, payer's tax
id, purpose, bank reference, payer's name). Every row is checked before anything is written:
a bad date or amount, an unknown payer, a repeated or already imported bank reference is an
error on that row, and then nothing is imported. Re-importing a statement that overlaps the
last one may skip the rows already imported (`skip_duplicates`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import DomainError, ValidationFailed
from orderdesk.core.money import quantize, to_decimal
from orderdesk.core.services import base_currency, currency_get, rate_for
from orderdesk.customers.models import Customer
from orderdesk.orders.models import Order

from ..models import Payment
from . import _common as c
from .payments import _payment_post

FIELDS = ("date", "amount", "currency", "payer_tax_id", "purpose", "bank_reference", "payer_name")
REQUIRED = ("date", "amount", "payer_tax_id", "bank_reference")
DEFAULT_MAPPING = {name: name for name in FIELDS}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")
ORDER_NUMBER = re.compile(r"[A-Za-zА-ЯЇІЄҐа-яїієґ]{1,4}-\d{4}-\d{3,}")
MAX_ROWS = 5000


@dataclass
class RowResult:
    row: int
    status: str = "ok"  # ok | error | skipped | imported
    date: str = ""
    amount: str = ""
    currency: str = ""
    payer_tax_id: str = ""
    customer_id: int | None = None
    customer: str = ""
    order_id: int | None = None
    order: str = ""
    purpose: str = ""
    bank_reference: str = ""
    payment_id: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def error(self, code: str, detail: str, name: str) -> None:
        self.status = "error"
        self.errors.append({"code": code, "detail": str(detail), "field": name})


@dataclass
class ImportResult:
    dry_run: bool
    rows: list[RowResult]
    batch: str = ""

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.status == "error")

    @property
    def imported(self) -> int:
        return sum(1 for r in self.rows if r.status == "imported")

    @property
    def ready(self) -> int:
        return sum(1 for r in self.rows if r.status in ("ok", "imported"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "batch": self.batch,
            "rows": [asdict(r) for r in self.rows],
            "ready": self.ready,
            "imported": self.imported,
            "errors": self.error_count,
            "skipped": sum(1 for r in self.rows if r.status == "skipped"),
        }


def decode(data: bytes | str) -> str:
    """Bank exports come in UTF-8 (with or without BOM) or Windows-1251."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_("The file is not text."), code="statement_unreadable")


def parse_date(value: str) -> dt.date:
    value = (value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _mapping(mapping: dict[str, str] | None, header: list[str]) -> dict[str, str]:
    if not mapping:  # the file's own column names, where they are ours
        mapping = {name: name for name in FIELDS if name in header}
    mapping = {k: (v or "").strip() for k, v in mapping.items() if v}
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields in the column mapping: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="mapping_invalid",
            fields={f"mapping.{k}": "unknown" for k in unknown},
        )
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ValidationFailed(
            _("Map a column to: %(f)s.") % {"f": ", ".join(missing)},
            code="mapping_incomplete",
            fields={f"mapping.{f}": None for f in missing},
        )
    absent = {k: v for k, v in mapping.items() if v not in header}
    if absent:
        raise ValidationFailed(
            _("The file has no column %(c)s.") % {"c": ", ".join(sorted(absent.values()))},
            code="mapping_column_missing",
            fields={f"mapping.{k}": v for k, v in absent.items()},
        )
    return mapping


def statement_check(
    *,
    data: bytes | str,
    mapping: dict[str, str] | None = None,
    delimiter: str | None = None,
    default_currency: str | None = None,
    skip_duplicates: bool = False,
) -> tuple[ImportResult, list[dict[str, Any]]]:
    """Parse and check every row; nothing is written. Returns the preview and, for the rows
    that are fine, what to record."""
    text = decode(data)
    if not text.strip():
        raise ValidationFailed(_("The statement is empty."), code="statement_empty")
    if delimiter is None:
        first = text.splitlines()[0]
        delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ValidationFailed(_("The statement is empty."), code="statement_empty") from None
    columns = _mapping(mapping, header)
    index = {name: header.index(col) for name, col in columns.items()}
    default_code = (default_currency or base_currency()).upper()
    rows: list[RowResult] = []
    todo: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    raw_rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not raw_rows:
        raise ValidationFailed(_("The statement has no payments."), code="statement_empty")
    if len(raw_rows) > MAX_ROWS:
        raise ValidationFailed(
            _("At most %(n)s rows at once.") % {"n": MAX_ROWS}, code="statement_too_long"
        )
    refs = {
        r[index["bank_reference"]].strip() for r in raw_rows if len(r) > index["bank_reference"]
    }
    existing = set(
        Payment.objects.filter(bank_reference__in=refs - {""}).values_list(
            "bank_reference", flat=True
        )
    )
    tax_ids = {r[index["payer_tax_id"]].strip() for r in raw_rows if len(r) > index["payer_tax_id"]}
    customers = {cu.tax_id: cu for cu in Customer.objects.filter(tax_id__in=tax_ids)}
    for number, raw in enumerate(raw_rows, start=2):
        cell = {name: (raw[i].strip() if i < len(raw) else "") for name, i in index.items()}
        row = RowResult(
            row=number,
            date=cell.get("date", ""),
            amount=cell.get("amount", ""),
            currency=(cell.get("currency") or default_code).upper(),
            payer_tax_id=cell.get("payer_tax_id", ""),
            purpose=cell.get("purpose", ""),
            bank_reference=cell.get("bank_reference", ""),
        )
        rows.append(row)
        date = amount = None
        try:
            date = parse_date(row.date)
        except ValueError:
            row.error("date_invalid", _("“%(v)s” is not a date.") % {"v": row.date}, "date")
        try:
            amount = to_decimal(row.amount)
        except (TypeError, ValueError):
            row.error(
                "amount_invalid", _("“%(v)s” is not an amount.") % {"v": row.amount}, "amount"
            )
        if amount is not None:
            if amount <= 0:
                row.error(
                    "amount_not_positive", _("An amount must be greater than zero."), "amount"
                )
            elif quantize(amount, row.currency) != amount:
                row.error("number_precision", _("Too many decimal places."), "amount")
        try:
            currency_get(row.currency)
        except DomainError as exc:
            row.error(exc.code, exc.detail, "currency")
        customer = customers.get(row.payer_tax_id)
        if customer is None:
            row.error(
                "payer_unknown",
                _("No customer with tax id “%(v)s”.") % {"v": row.payer_tax_id},
                "payer_tax_id",
            )
        else:
            row.customer_id, row.customer = customer.pk, str(customer)
        ref = row.bank_reference
        if not ref:
            row.error("bank_reference_missing", _("The bank reference is empty."), "bank_reference")
        elif ref in seen:
            row.error(
                "bank_reference_repeated",
                _("The same bank reference is on row %(r)s.") % {"r": seen[ref]},
                "bank_reference",
            )
        elif ref in existing:
            if skip_duplicates and row.status != "error":
                row.status = "skipped"
                row.errors.append(
                    {
                        "code": "payment_duplicate",
                        "detail": _("Imported already; skipped."),
                        "field": "bank_reference",
                    }
                )
            else:
                row.error(
                    "payment_duplicate",
                    _("A payment with this bank reference is recorded already."),
                    "bank_reference",
                )
        if ref:
            seen.setdefault(ref, number)
        if row.status == "ok" and date is not None:
            try:
                rate_for(row.currency, date)
            except DomainError as exc:
                row.error(exc.code, exc.detail, "currency")
        if row.status == "ok" and customer is not None:
            numbers = ORDER_NUMBER.findall(row.purpose)
            order = (
                Order.objects.filter(customer=customer, number__in=numbers).order_by("pk").first()
                if numbers
                else None
            )
            if order is not None:
                row.order_id, row.order = order.pk, order.number
            todo.append(
                {
                    "row": row,
                    "customer": customer,
                    "order": order,
                    "payment_date": date,
                    "amount": amount,
                    "currency": row.currency,
                    "purpose": row.purpose,
                    "bank_reference": ref,
                    "payer_name": cell.get("payer_name", ""),
                    "payer_tax_id": row.payer_tax_id,
                }
            )
    return ImportResult(dry_run=True, rows=rows), todo


@atomic_with_retry
def statement_import(
    *,
    by,
    data: bytes | str,
    mapping: dict[str, str] | None = None,
    dry_run: bool = True,
    delimiter: str | None = None,
    default_currency: str | None = None,
    skip_duplicates: bool = False,
) -> ImportResult:
    """Check a bank statement (dry run: the preview) or import it: one payment per row,
    each settling the oldest due instalments (of the order named in the purpose, if any).

    Any row in error means nothing is imported: `statement_invalid` with every row's errors
    in `fields.rows` (codes `date_invalid`, `amount_invalid`, `amount_not_positive`,
    `number_precision`, `currency_unknown`, `payer_unknown`, `bank_reference_missing`,
    `bank_reference_repeated`, `payment_duplicate`, `exchange_rate_missing`). The file itself:
    `statement_empty`, `statement_unreadable`, `statement_too_long`, `mapping_invalid`,
    `mapping_incomplete`, `mapping_column_missing`. Raises `billing_not_permitted`.
    """
    c.require_accounting(by, _("bank statement"))
    result, todo = statement_check(
        data=data,
        mapping=mapping,
        delimiter=delimiter,
        default_currency=default_currency,
        skip_duplicates=skip_duplicates,
    )
    result.dry_run = dry_run
    if dry_run:
        return result
    if result.error_count:
        raise ValidationFailed(
            _("%(n)s rows of the statement have errors; nothing was imported.")
            % {"n": result.error_count},
            code="statement_invalid",
            fields={"rows": [asdict(r) for r in result.rows if r.status == "error"]},
        )
    result.batch = uuid.uuid4().hex[:12]
    for item in todo:
        row = item.pop("row")
        payment, _made = _payment_post(by=by, allocations="auto", import_batch=result.batch, **item)
        row.payment_id = payment.pk
        row.status = "imported"
    return result
