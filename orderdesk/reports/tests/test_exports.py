"""Exports hold the report's rows: CSV and XLSX parse back to the same figures, the PDF
reads as the report; without WeasyPrint a PDF is 503 `pdf_unavailable`."""

from __future__ import annotations

import csv
import io
import sys
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from orderdesk.reports.selectors import report_for
from orderdesk.testing.factories import UserFactory

QUERY = {"group_by": "customer", "sort": "-revenue"}


@pytest.fixture
def admin(db):
    return UserFactory(username="report.admin", roles=["administrator"])


@pytest.fixture
def expected(generated, admin):
    report = report_for("profitability")
    params = report.parse(QUERY)
    return report, list(report.iter_rows(admin, params))


def test_csv_streams_every_row_and_parses_back(expected, admin, client):
    report, rows = expected
    client.force_login(admin)
    response = client.get("/reports/profitability/export/csv/", QUERY)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == [str(c.label) for c in report.columns(report.parse(QUERY))]
    assert len(parsed) == len(rows) + 1
    for line, row in zip(parsed[1:], rows, strict=True):
        assert line[0] == row["customer_label"]
        assert Decimal(line[2]) == row["revenue"] and Decimal(line[3]) == row["cost"]


def test_xlsx_holds_every_row_as_numbers(expected, admin, client):
    _report, rows = expected
    client.force_login(admin)
    response = client.get("/reports/profitability/export/xlsx/", QUERY)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == len(rows) + 1
    for line, row in zip(values[1:], rows, strict=True):
        assert line[0] == row["customer_label"]
        assert Decimal(str(line[2])) == row["revenue"]


def test_pdf_reads_as_the_report(expected, admin, client):
    _report, rows = expected
    client.force_login(admin)
    response = client.get("/reports/profitability/export/pdf/", QUERY)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Profitability" in text
    assert rows[0]["customer_label"] in text  # Cyrillic survives: the bundled font
    assert "Total" in text


def test_api_exports_with_the_same_filters(expected, admin):
    _report, rows = expected
    api = APIClient()
    api.force_authenticate(admin)
    response = api.get("/api/v1/reports/profitability/export/csv/", QUERY)
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == len(rows) + 1


def test_pdf_without_weasyprint_is_503(admin, client, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # "cannot import"
    client.force_login(admin)
    page = client.get("/reports/aging/export/pdf/")
    assert page.status_code == 503 and "pdf_unavailable" in page.content.decode()
    api = APIClient()
    api.force_authenticate(admin)
    response = api.get("/api/v1/reports/aging/export/pdf/")
    assert response.status_code == 503 and response.json()["code"] == "pdf_unavailable"
