"""Price list files as HTTP answers (the page and the API share them): CSV streamed row by
row, XLSX written to a temporary file and streamed from it."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils.text import slugify

from .models import PriceList
from .services.transfer import export_rows, safe_cell

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else safe_cell(value)


def _name(price_list: PriceList, ext: str) -> str:
    stem = slugify(price_list.code) or f"price-list-{price_list.pk}"
    return f"{stem}-{dt.date.today().isoformat()}.{ext}"


def csv_response(price_list: PriceList, *, on: dt.date | None = None) -> StreamingHttpResponse:
    """UTF-8 with a BOM (spreadsheets then read Cyrillic right), `;`-separated, decimal point:
    the import reads it back as it is."""
    writer = csv.writer(_Echo(), delimiter=";")

    def rows():
        yield "\ufeff"
        for row in export_rows(price_list, on=on):
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_name(price_list, "csv")}"'
    return response


def xlsx_response(price_list: PriceList, *, on: dt.date | None = None) -> FileResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(price_list.code or "prices")[:31])
    for i, row in enumerate(export_rows(price_list, on=on)):
        if i == 0:
            sheet.append(row)
        else:
            sku, name, price, min_quantity, valid_from, valid_to = row
            sheet.append([sku, safe_cell(name), price, min_quantity, valid_from, valid_to])
    # FileResponse closes the file when the answer is sent
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=_name(price_list, "xlsx"), content_type=XLSX_TYPE
    )
