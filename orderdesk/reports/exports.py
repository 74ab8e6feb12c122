"""Report exports: CSV (streamed), XLSX (openpyxl write-only) and PDF (WeasyPrint).

CSV and XLSX hold every row, with flat memory: the rows come from a server-side cursor in
chunks (`Report.iter_rows`) and go straight out (CSV through StreamingHttpResponse) or into
the write-only worksheet, which openpyxl keeps in a temporary file, not in memory. A PDF is
for reading and printing: it holds the first `PDF_MAX_ROWS` rows and says so when there are
more. Without WeasyPrint (or the Pango library it needs) a PDF is `pdf_unavailable` (503).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.core.errors import DomainError, NotFound

from .params import Params
from .routers import replica_reads
from .selectors.base import Column, Report

FORMATS = ("csv", "xlsx", "pdf")
PDF_MAX_ROWS = 2000
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


def cell(row: dict[str, Any], column: Column) -> Any:
    """The value of a column in a row: a dimension's label, or the measure."""
    if column.kind == "dim":
        return row.get(f"{column.key}_label", row.get(column.key))
    return row.get(column.key)


def header(columns: list[Column]) -> list[str]:
    return [str(c.label) for c in columns]


def filename(report: Report, params: Params, ext: str) -> str:
    stamp = (params.get("as_of") or timezone.localdate()).isoformat()
    return f"{report.slug}-{stamp}.{ext}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file-like object that hands back what is written (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def csv_rows(report: Report, user, params: Params) -> Iterator[str]:
    """The CSV text, line by line: a BOM (so spreadsheet programs read UTF-8), the header,
    every row."""
    columns = report.columns(params)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header(columns))
    rows = report.iter_rows(user, params, stream=True)
    # the first row opens the query, bound to the replica then; the block is left at once,
    # so no context is held open across the yields of the streamed response
    with replica_reads():
        first = next(rows, None)
    if first is None:
        return
    yield writer.writerow([_text(cell(first, c)) for c in columns])
    for row in rows:
        yield writer.writerow([_text(cell(row, c)) for c in columns])


def csv_response(report: Report, user, params: Params) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(report, user, params), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(report, params, "csv")}"'
    return response


def xlsx_file(report: Report, user, params: Params):
    """A temporary file holding the workbook (one sheet, every row)."""
    from openpyxl import Workbook

    columns = report.columns(params)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(report.title)[:31])
    sheet.append(header(columns))
    with replica_reads():
        for row in report.iter_rows(user, params, stream=True):
            sheet.append([cell(row, c) for c in columns])
    out = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it when sent)
    book.save(out)
    out.seek(0)
    return out


def xlsx_response(report: Report, user, params: Params) -> FileResponse:
    return FileResponse(
        xlsx_file(report, user, params),
        as_attachment=True,
        filename=filename(report, params, "xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )


def formatted(row: dict[str, Any], column: Column) -> str:
    from .templatetags.reports_tags import cell as display

    return display(row, column)


def total_cell(totals: dict[str, Any], column: Column) -> str:
    from .templatetags.reports_tags import total_cell as display

    return display(totals, column)


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            _(
                "PDF printing is not available on this server (WeasyPrint could not load: "
                "%(e)s). Export CSV or XLSX instead."
            )
            % {"e": exc.__class__.__name__}
        ) from exc
    return weasyprint


def _fonts() -> dict[str, str]:
    """The bundled DejaVu Sans of the billing documents, when it is there (Cyrillic)."""
    try:
        from orderdesk.billing.pdf import FONTS
    except ImportError:
        return {}
    regular, bold = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        return {"font_regular": regular.as_uri(), "font_bold": bold.as_uri()}
    return {}


def pdf_bytes(report: Report, user, params: Params, *, subtitle: str = "") -> bytes:
    weasyprint = _weasyprint()
    columns = report.columns(params)
    rows: list[list[Any]] = []
    more = False
    with replica_reads():
        for i, row in enumerate(report.iter_rows(user, params, limit=PDF_MAX_ROWS + 1)):
            if i >= PDF_MAX_ROWS:
                more = True
                break
            rows.append([(formatted(row, c), c.is_measure) for c in columns])
        totals = report.totals(user, params)
    html = render_to_string(
        "reports/pdf.html",
        {
            "report": report,
            "columns": columns,
            "rows": rows,
            "more": more,
            "max_rows": PDF_MAX_ROWS,
            "totals": [total_cell(totals, c) for c in columns],
            "params": params,
            "subtitle": subtitle,
            "printed_at": timezone.localtime(),
            **_fonts(),
        },
    )
    try:
        return weasyprint.HTML(string=html).write_pdf()
    except OSError as exc:
        raise PdfUnavailable(
            _("PDF printing failed on this server: %(e)s.") % {"e": exc.__class__.__name__}
        ) from exc


def pdf_response(report: Report, user, params: Params) -> HttpResponse:
    response = HttpResponse(pdf_bytes(report, user, params), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(report, params, "pdf")}"'
    return response


def export_response(report: Report, user, params: Params, fmt: str):
    """The export of `report` in `fmt` (csv, xlsx, pdf); another format is
    `export_format_unknown` (404)."""
    if fmt == "csv":
        return csv_response(report, user, params)
    if fmt == "xlsx":
        return xlsx_response(report, user, params)
    if fmt == "pdf":
        return pdf_response(report, user, params)
    raise NotFound(_("No such export format."), code="export_format_unknown")


def consume(chunks: Iterable[Any]) -> int:
    """Read a streamed response to the end; the bytes it held (the benchmark's helper)."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
    return size
