"""Price list import and export (CSV and XLSX).

Import is two steps. `price_import_preview` reads the file, checks every row and keeps the
upload (a `PriceImport`) with its row count and errors; nothing else changes.
`price_import_apply` checks the kept file again under the list's lock and writes every price
or none: a single bad row refuses the whole file (`import_has_errors`).

Columns (first row, any order, case-insensitive): `sku`, `price`, `valid_from` (required),
`min_quantity`, `valid_to`, `name` (ignored: the export writes it for people). Numbers with a
point or a comma; dates as 2026-11-01 or 01.11.2026. CSV is read as UTF-8 (with or without
BOM), else Windows-1251; anything else is `file_encoding_invalid`. Rows are numbered as a
spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, diff, jsonable, record_many, snapshot, stream_of
from orderdesk.catalog.models import Product
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import Conflict, ValidationFailed
from orderdesk.core.money import to_decimal
from orderdesk.customers.services.checks import require_admin

from ..models import PriceImport, PriceList, PriceListItem
from .prices import ITEM_FIELDS

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
REQUIRED = ("sku", "price", "valid_from")
COLUMNS = (*REQUIRED, "min_quantity", "valid_to", "name")
EXPORT_COLUMNS = ("sku", "name", "price", "min_quantity", "valid_from", "valid_to")
SHOWN_ERRORS = 500
CHUNK = 900  # keys per IN (...) query: under SQLite's variable limit


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    message: str
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "value": self.value,
        }


@dataclass
class PriceRow:
    row: int
    sku: str
    product_id: int | None = None
    price: Decimal | None = None
    min_quantity: Decimal = Decimal("0")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "sku": self.sku,
            "price": jsonable(self.price),
            "min_quantity": jsonable(self.min_quantity),
            "valid_from": jsonable(self.valid_from),
            "valid_to": jsonable(self.valid_to),
        }


@dataclass
class ImportResult:
    price_import: PriceImport | None
    rows: list[PriceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    added: int = 0
    removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- reading the file ---------------------------------------------------------------------------


def _refuse(code: str, message: str, **fields: Any) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields=fields or {"file": None})


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), else Windows-1251; otherwise `file_encoding_invalid`.

    Windows-1251 maps nearly every byte to a character, so a file in another encoding (UTF-16,
    a binary) is recognised by what it decodes to: NUL and other control characters."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            "file_encoding_invalid",
            _("The file is in UTF-16; save it as UTF-8 or Windows-1251 CSV."),
        )
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
            return text
    raise _refuse(
        "file_encoding_invalid",
        _("The file is not text in UTF-8 or Windows-1251; save it as CSV in one of them."),
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _refuse("file_unreadable", _("The CSV file is broken: %(e)s.") % {"e": exc}) from None


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _refuse("file_unreadable", _("The file is not a readable XLSX workbook.")) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def read_table(data: bytes, file_name: str = "") -> list[list[Any]]:
    """The file's rows (header first): XLSX by its zip signature or name, else CSV."""
    if len(data) > MAX_BYTES:
        raise _refuse(
            "file_too_large",
            _("The file is larger than %(n)s MB.") % {"n": MAX_BYTES // 1024 // 1024},
        )
    if data.startswith(b"PK\x03\x04") or file_name.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise _refuse("file_empty", _("The file has no rows."))
    if len(rows) > MAX_ROWS + 1:
        raise _refuse(
            "file_too_large", _("The file has more than %(n)s rows.") % {"n": f"{MAX_ROWS:,}"}
        )
    return rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(row: list[Any]) -> dict[str, int]:
    """Column name -> index; `column_unknown`, `column_repeated`, `column_missing` at row 1."""
    index: dict[str, int] = {}
    for i, raw in enumerate(row):
        name = str(raw or "").strip().lower().lstrip("\ufeff")
        if not name:
            continue
        if name not in COLUMNS:
            raise _refuse(
                "column_unknown",
                _("Row 1: unknown column “%(c)s”; the columns are %(all)s.")
                % {"c": name, "all": ", ".join(COLUMNS)},
                row=1,
                column=name,
            )
        if name in index:
            raise _refuse("column_repeated", _("Row 1: column “%(c)s” twice.") % {"c": name}, row=1)
        index[name] = i
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise _refuse(
            "column_missing",
            _("Row 1: the file needs the columns %(c)s.") % {"c": ", ".join(missing)},
            row=1,
            column=missing[0],
        )
    return index


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, int):
        return Decimal(value)
    return to_decimal(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_rows(
    table: list[list[Any]], *, price_list: PriceList, mode: str
) -> tuple[list[PriceRow], list[RowError]]:
    """Every data row checked: shape, product, numbers, dates, periods, overlaps, breaks."""
    columns = _header(table[0])
    width = len(table[0])
    rows: list[PriceRow] = []
    errors: list[RowError] = []

    def err(row: int, name: str, code: str, message: str, value: Any = "") -> None:
        errors.append(RowError(row, name, code, message, _text(value)[:60]))

    for n, cells in enumerate(table[1:], start=2):
        if all(_blank(v) for v in cells):
            continue
        if len(cells) > width and any(not _blank(v) for v in cells[width:]):
            err(n, "", "row_malformed", _("Row %(n)s has more cells than the header.") % {"n": n})
            continue
        cells = list(cells) + [None] * (width - len(cells))
        get = {name: cells[i] for name, i in columns.items()}
        row = PriceRow(row=n, sku=_text(get["sku"]))
        if not row.sku:
            err(n, "sku", "sku_required", _("Row %(n)s: the SKU is empty.") % {"n": n})
        for name, places, digits in (("price", 4, 14), ("min_quantity", 3, 15)):
            raw = get.get(name)
            if name == "min_quantity" and _blank(raw):
                continue
            try:
                number = _decimal(raw)
            except (TypeError, ValueError):
                err(n, name, "number_invalid",
                    _("Row %(n)s: “%(v)s” is not a number.") % {"n": n, "v": _text(raw)}, raw)  # fmt: skip
                continue
            if (
                number != number.quantize(Decimal(1).scaleb(-places))
                or abs(number) >= Decimal(10) ** digits
            ):
                err(n, name, "number_precision",
                    _("Row %(n)s: %(f)s allows %(p)s decimal places.")
                    % {"n": n, "f": name, "p": places}, raw)  # fmt: skip
                continue
            if number < 0:
                code = "price_negative" if name == "price" else "min_quantity_negative"
                err(n, name, code, _("Row %(n)s: %(f)s cannot be negative.") % {"n": n, "f": name},
                    raw)  # fmt: skip
                continue
            setattr(row, name, number)
        for name in ("valid_from", "valid_to"):
            raw = get.get(name)
            if _blank(raw):
                if name == "valid_from":
                    err(n, name, "date_required",
                        _("Row %(n)s: the start date is empty.") % {"n": n})  # fmt: skip
                continue
            try:
                setattr(row, name, _date(raw))
            except (TypeError, ValueError):
                err(n, name, "date_invalid",
                    _("Row %(n)s: “%(v)s” is not a date (2026-11-01 or 01.11.2026).")
                    % {"n": n, "v": _text(raw)}, raw)  # fmt: skip
        if row.valid_from and row.valid_to and row.valid_to < row.valid_from:
            err(n, "valid_to", "price_period_invalid",
                _("Row %(n)s: the price ends before it starts.") % {"n": n}, get.get("valid_to"))  # fmt: skip
        rows.append(row)

    _resolve_products(rows, err)
    bad = {e.row for e in errors}
    _check_overlaps(
        [r for r in rows if r.row not in bad], price_list=price_list, mode=mode, err=err
    )
    errors.sort(key=lambda e: (e.row, e.field))
    return rows, errors


def _resolve_products(rows: list[PriceRow], err) -> None:
    skus = sorted({r.sku for r in rows if r.sku})
    found: dict[str, tuple[int, bool]] = {}
    for i in range(0, len(skus), CHUNK):
        for pk, sku, active in Product.objects.filter(sku__in=skus[i : i + CHUNK]).values_list(
            "pk", "sku", "active"
        ):
            found[sku] = (pk, active)
    for row in rows:
        if not row.sku:
            continue
        hit = found.get(row.sku)
        if hit is None:
            err(row.row, "sku", "product_unknown",
                _("Row %(n)s: no product with SKU “%(s)s”.") % {"n": row.row, "s": row.sku},
                row.sku)  # fmt: skip
        elif not hit[1]:
            err(row.row, "sku", "product_inactive",
                _("Row %(n)s: product “%(s)s” is not active.") % {"n": row.row, "s": row.sku},
                row.sku)  # fmt: skip
        else:
            row.product_id = hit[0]


def _overlaps(a_from, a_to, b_from, b_to) -> bool:
    return (a_to is None or b_from <= a_to) and (b_to is None or a_from <= b_to)


def _check_overlaps(rows: list[PriceRow], *, price_list: PriceList, mode: str, err) -> None:
    """Refuse a row whose validity overlaps another price of the same product and quantity
    break (in the file, or already in the list when adding), and a quantity break whose price
    is above a smaller break's price on the same days (a tier table out of order)."""
    by_product: dict[int, list[PriceRow]] = {}
    for row in rows:
        if row.product_id is not None:
            by_product.setdefault(row.product_id, []).append(row)
    existing: dict[int, list[tuple]] = {}
    if mode == PriceImport.Mode.ADD and by_product:
        items = PriceListItem.objects.filter(price_list=price_list).values_list(
            "product_id", "min_quantity", "valid_from", "valid_to", "price"
        )
        for product_id, min_q, valid_from, valid_to, price in items.iterator(chunk_size=5000):
            if product_id in by_product:
                existing.setdefault(product_id, []).append((min_q, valid_from, valid_to, price))
    for product_id, group in by_product.items():
        group.sort(key=lambda r: (r.min_quantity, r.valid_from, r.row))
        for i, row in enumerate(group):
            for other in group[:i]:
                if other.min_quantity == row.min_quantity and _overlaps(
                    other.valid_from, other.valid_to, row.valid_from, row.valid_to
                ):
                    err(row.row, "valid_from", "price_period_overlap",
                        _("Row %(n)s overlaps row %(o)s: the same product and quantity break on "
                          "the same days.") % {"n": row.row, "o": other.row},
                        row.valid_from)  # fmt: skip
                    break
            else:
                for min_q, valid_from, valid_to, _price in existing.get(product_id, ()):
                    if min_q == row.min_quantity and _overlaps(
                        valid_from, valid_to, row.valid_from, row.valid_to
                    ):
                        err(row.row, "valid_from", "price_period_overlap",
                            _("Row %(n)s overlaps a price in the list valid from %(f)s.")
                            % {"n": row.row, "f": valid_from.isoformat()}, row.valid_from)  # fmt: skip
                        break
            for other in group[:i]:
                if (
                    other.min_quantity < row.min_quantity
                    and row.price > other.price
                    and _overlaps(other.valid_from, other.valid_to, row.valid_from, row.valid_to)
                ):
                    err(row.row, "price", "tiers_out_of_order",
                        _("Row %(n)s: the price from %(q)s is above the price from %(p)s (row "
                          "%(o)s); larger quantities cannot cost more.")
                        % {"n": row.row, "q": row.min_quantity, "p": other.min_quantity,
                           "o": other.row}, row.price)  # fmt: skip
                    break


# --- the services ---------------------------------------------------------------------------------


def _read(file: Any) -> tuple[bytes, str]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    name = getattr(file, "name", "") or ""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(
            "file_too_large",
            _("The file is larger than %(n)s MB.") % {"n": MAX_BYTES // 1024 // 1024},
        )
    data = file.read(MAX_BYTES + 1)
    return data, name


def _check_mode(mode: str) -> str:
    if mode not in PriceImport.Mode.values:
        raise ValidationFailed(
            _("Unknown import mode “%(m)s”.") % {"m": mode},
            code="import_mode_invalid",
            fields={"mode": str(mode)},
        )
    return mode


def price_import_preview(
    *, by, price_list: PriceList, file: Any, file_name: str = "", mode: str = "add"
) -> ImportResult:
    """Check an uploaded price file and keep it for applying; nothing else changes.

    File errors refuse the upload: `file_encoding_invalid`, `file_unreadable`, `file_empty`,
    `file_too_large`, `column_unknown`, `column_missing`, `column_repeated`,
    `import_mode_invalid`; administrator only (`master_data_forbidden`). Row errors (each with
    the row, the field and the code: `row_malformed`, `sku_required`, `product_unknown`,
    `product_inactive`, `number_invalid`, `number_precision`, `price_negative`,
    `min_quantity_negative`, `date_required`, `date_invalid`, `price_period_invalid`,
    `price_period_overlap`, `tiers_out_of_order`) are listed in the result.
    """
    require_admin(by)
    mode = _check_mode(mode)
    data, name = _read(file)
    file_name = (file_name or name or "prices.csv")[:255]
    table = read_table(data, file_name)
    rows, errors = parse_rows(table, price_list=price_list, mode=mode)
    if not rows:
        raise _refuse("file_empty", _("The file has a header but no prices."))
    price_import = PriceImport.objects.create(
        price_list=price_list,
        file_name=file_name,
        content=data,
        mode=mode,
        rows_total=len(rows),
        error_count=len({e.row for e in errors}),
        created_by=by,
    )
    return ImportResult(price_import, rows, errors)


@atomic_with_retry
def price_import_apply(*, by, price_import: PriceImport) -> ImportResult:
    """Write a previewed file's prices, all or none (administrator).

    The list row is locked and the file checked again (the list may have changed since the
    preview): any row error refuses everything (`import_has_errors`, the first errors in
    `fields`); an import applies once (`import_already_applied`). In `replace` mode the list's
    prices are removed first. Every price added or removed is a history event in the list's
    stream, with the import summarised in `pricing.pricelist.imported`.
    """
    require_admin(by)
    price_list = PriceList.objects.select_for_update().get(pk=price_import.price_list_id)
    price_import = PriceImport.objects.select_for_update().get(pk=price_import.pk)
    if price_import.status == PriceImport.Status.APPLIED:
        raise Conflict(
            _("This file was applied already."),
            code="import_already_applied",
            fields={"import": price_import.pk},
        )
    table = read_table(bytes(price_import.content), price_import.file_name)
    rows, errors = parse_rows(table, price_list=price_list, mode=price_import.mode)
    if errors:
        raise ValidationFailed(
            _("%(n)s rows have errors; nothing was imported.")
            % {"n": len({e.row for e in errors})},
            code="import_has_errors",
            fields={"rows": [e.as_dict() for e in errors[:50]]},
        )
    entries: list[Entry] = []
    removed = 0
    if price_import.mode == PriceImport.Mode.REPLACE:
        old = list(PriceListItem.objects.filter(price_list=price_list).select_related("product"))
        for item in old:
            gone = {k: {"from": v, "to": None} for k, v in snapshot(item, ITEM_FIELDS).items()}
            entries.append(Entry("pricing.price.removed", item, gone, {"import": price_import.pk}))
        PriceListItem.objects.filter(price_list=price_list).delete()
        removed = len(old)
    products = {}
    ids = sorted({r.product_id for r in rows})
    for i in range(0, len(ids), CHUNK):
        products.update(Product.objects.in_bulk(ids[i : i + CHUNK]))
    items = [
        PriceListItem(
            price_list=price_list,
            product=products[r.product_id],
            price=r.price,
            min_quantity=r.min_quantity,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in rows
    ]
    items = PriceListItem.objects.bulk_create(items, batch_size=1000)
    for item in items:
        entries.append(
            Entry(
                "pricing.price.added",
                item,
                diff({}, snapshot(item, ITEM_FIELDS)),
                {"import": price_import.pk},
            )
        )
    entries.append(
        Entry(
            "pricing.pricelist.imported",
            price_list,
            {},
            {
                "import": price_import.pk,
                "file": price_import.file_name,
                "mode": price_import.mode,
                "added": len(items),
                "removed": removed,
            },
        )
    )
    record_many(stream=stream_of(price_list), entries=entries, by=by)
    price_import.status = PriceImport.Status.APPLIED
    price_import.applied_at = timezone.now()
    price_import.save(update_fields=["status", "applied_at"])
    return ImportResult(price_import, rows, [], applied=True, added=len(items), removed=removed)


def export_rows(price_list: PriceList, *, on: dt.date | None = None) -> Iterator[list[Any]]:
    """The list's own prices as rows for a file, header first (the import's format), read in
    chunks so a large list streams. `on`: only the prices valid that day."""
    yield list(EXPORT_COLUMNS)
    qs = PriceListItem.objects.filter(price_list=price_list)
    if on is not None:
        qs = qs.filter(valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    rows = qs.order_by("product__sku", "min_quantity", "valid_from", "pk").values_list(
        "product__sku", "product__name", "price", "min_quantity", "valid_from", "valid_to"
    )
    for sku, name, price, min_quantity, valid_from, valid_to in rows.iterator(chunk_size=2000):
        yield [sku, name, price, min_quantity, valid_from, valid_to]


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
