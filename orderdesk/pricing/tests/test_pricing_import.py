"""Price list import and export: a dry run naming every bad row, then all rows or none."""

from __future__ import annotations

import datetime as dt
import io
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from orderdesk.audit.models import Event
from orderdesk.audit.services import stream_of
from orderdesk.core.errors import DomainError
from orderdesk.pricing import services
from orderdesk.pricing.models import PriceImport, PriceListItem
from orderdesk.testing.factories import PriceListFactory, PriceListItemFactory, ProductFactory

D = Decimal
HEADER = "sku;price;min_quantity;valid_from;valid_to\n"


@pytest.fixture
def catalogue(db, warehouse):
    return {sku: ProductFactory(sku=sku, name=f"Товар {sku}") for sku in ("A-1", "B-2", "C-3")}


@pytest.fixture
def target(db):
    return PriceListFactory(code="DEALER", name="Dealer")


def csv_bytes(body: str, encoding: str = "utf-8-sig") -> bytes:
    return (HEADER + body).encode(encoding)


def preview(admin, price_list, data: bytes, name="prices.csv", mode="add"):
    return services.price_import_preview(
        by=admin, price_list=price_list, file=data, file_name=name, mode=mode
    )


def codes(result) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.code) for e in result.errors]


@contextmanager
def nothing_written(price_list):
    items = list(PriceListItem.objects.order_by("pk").values())
    events = Event.objects.filter(stream=stream_of(price_list)).count()
    yield
    assert list(PriceListItem.objects.order_by("pk").values()) == items
    assert Event.objects.filter(stream=stream_of(price_list)).count() == events


def test_a_clean_csv_is_previewed_then_applied_with_history(admin_user, catalogue, target):
    data = csv_bytes(
        "A-1;100,50;;01.11.2026;\nA-1;95;10;2026-11-01;2026-12-31\nB-2;40;;2026-11-01;\n"
    )

    with nothing_written(target):
        result = preview(admin_user, target, data)
    assert result.ok
    assert [(r.row, r.sku, r.price, r.min_quantity) for r in result.rows] == [
        (2, "A-1", D("100.50"), D("0")),
        (3, "A-1", D("95"), D("10")),
        (4, "B-2", D("40"), D("0")),
    ]

    applied = services.price_import_apply(by=admin_user, price_import=result.price_import)

    assert (applied.added, applied.removed) == (3, 0)
    items = PriceListItem.objects.filter(price_list=target).order_by("pk")
    assert [(i.product.sku, i.price, i.valid_to) for i in items] == [
        ("A-1", D("100.5"), None),
        ("A-1", D("95"), dt.date(2026, 12, 31)),
        ("B-2", D("40"), None),
    ]
    actions = list(
        Event.objects.filter(stream=stream_of(target))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["pricing.price.added"] * 3 + ["pricing.pricelist.imported"]
    with pytest.raises(DomainError) as again:
        services.price_import_apply(by=admin_user, price_import=result.price_import)
    assert again.value.code == "import_already_applied"


def test_a_windows_1251_file_is_read(admin_user, catalogue, target):
    data = ("sku;name;price;valid_from\nA-1;Цвяхи будівельні;12,5;01.11.2026\n").encode("cp1251")
    result = preview(admin_user, target, data)
    assert result.ok and result.rows[0].price == D("12.5")


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + "A-1;1;;2026-11-01;\n").encode("utf-16"),
        b"\x00\x01\x02binary\x00garbage\xff" * 10,
    ],
)
def test_a_file_in_another_encoding_is_refused_and_nothing_kept(
    admin_user, catalogue, target, data
):
    with pytest.raises(DomainError) as caught:
        preview(admin_user, target, data)
    assert caught.value.code == "file_encoding_invalid"
    assert not PriceImport.objects.exists()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("sku;price\nA-1;1\n", "column_missing"),
        ("sku;price;valid_from;colour\nA-1;1;2026-11-01;red\n", "column_unknown"),
        ("", "file_empty"),
        ("sku;price;valid_from\n", "file_empty"),
    ],
)
def test_a_file_with_wrong_columns_is_refused(admin_user, catalogue, target, text, code):
    with pytest.raises(DomainError) as caught:
        preview(admin_user, target, text.encode())
    assert caught.value.code == code


def test_every_bad_row_is_named_with_its_field_and_code_and_nothing_is_imported(
    admin_user, catalogue, target
):
    PriceListItemFactory(
        price_list=target, product=catalogue["C-3"], price=D("5"), valid_from=dt.date(2026, 1, 1)
    )
    data = csv_bytes(
        "A-1;100;;2026-11-01;\n"  # 2 fine
        "A-1;90;;2026-12-01;\n"  # 3 overlaps row 2
        "B-2;-4;;2026-11-01;\n"  # 4 negative price
        "NOPE;1;;2026-11-01;\n"  # 5 unknown product
        "B-2;abc;;31.02.2026;\n"  # 6 not a number, not a date
        "B-2;3;;2026-11-01;2026-10-01\n"  # 7 ends before it starts
        "C-3;4;;2026-11-01;\n"  # 8 overlaps the list's price
        "A-1;120;50;2026-11-01;\n"  # 9 a larger break at a higher price
        "B-2;1;;2026-11-01;;extra\n"  # 10 more cells than the header
    )

    result = preview(admin_user, target, data)

    assert codes(result) == [
        (3, "valid_from", "price_period_overlap"),
        (4, "price", "price_negative"),
        (5, "sku", "product_unknown"),
        (6, "price", "number_invalid"),
        (6, "valid_from", "date_invalid"),
        (7, "valid_to", "price_period_invalid"),
        (8, "valid_from", "price_period_overlap"),
        (9, "price", "tiers_out_of_order"),
        (10, "", "row_malformed"),
    ]
    assert "row 2" in result.errors[0].message
    with nothing_written(target), pytest.raises(DomainError) as caught:
        services.price_import_apply(by=admin_user, price_import=result.price_import)
    assert caught.value.code == "import_has_errors"
    assert caught.value.fields["rows"][0]["row"] == 3


def test_replace_mode_swaps_the_whole_list(admin_user, catalogue, target):
    PriceListItemFactory(price_list=target, product=catalogue["C-3"], price=D("5"))
    result = preview(admin_user, target, csv_bytes("C-3;6;;2026-11-01;\n"), mode="replace")
    applied = services.price_import_apply(by=admin_user, price_import=result.price_import)
    assert (applied.added, applied.removed) == (1, 1)
    assert list(
        PriceListItem.objects.filter(price_list=target).values_list("price", flat=True)
    ) == [D("6")]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_file_with_numbers_and_dates(admin_user, catalogue, target):
    data = xlsx(
        [
            ["SKU", "Price", "Valid_from", "min_quantity"],
            ["A-1", 12.5, dt.datetime(2026, 11, 1), None],
            ["B-2", 7, dt.date(2026, 11, 1), 100],
            [None, None, None, None],
        ]
    )
    result = preview(admin_user, target, data, name="prices.xlsx")
    assert result.ok
    assert [(r.sku, r.price, r.min_quantity, r.valid_from) for r in result.rows] == [
        ("A-1", D("12.5"), D("0"), dt.date(2026, 11, 1)),
        ("B-2", D("7"), D("100"), dt.date(2026, 11, 1)),
    ]


def test_a_broken_xlsx_is_refused(admin_user, catalogue, target):
    with pytest.raises(DomainError) as caught:
        preview(admin_user, target, b"PK\x03\x04 not really a zip", name="prices.xlsx")
    assert caught.value.code == "file_unreadable"


def test_only_an_administrator_imports(manager, catalogue, target):
    with pytest.raises(DomainError) as caught:
        preview(manager, target, csv_bytes("A-1;1;;2026-11-01;\n"))
    assert caught.value.code == "master_data_forbidden"


# --- export, API, page ---------------------------------------------------------------------------


def test_the_csv_export_reads_back_as_the_same_prices(admin_user, catalogue, target, client):
    PriceListItemFactory(price_list=target, product=catalogue["A-1"], price=D("12.3400"))
    PriceListItemFactory(
        price_list=target, product=catalogue["A-1"], price=D("11"), min_quantity=D("10"),
        valid_to=dt.date(2030, 1, 1),
    )  # fmt: skip
    client.force_login(admin_user)
    response = client.get(reverse("pricing:price_export", args=[target.pk]))
    assert response.status_code == 200 and response.streaming
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read the Cyrillic names

    copy = PriceListFactory(code="COPY")
    result = preview(admin_user, copy, data)
    assert result.ok, codes(result)
    services.price_import_apply(by=admin_user, price_import=result.price_import)

    def shape(pl):
        return sorted(
            PriceListItem.objects.filter(price_list=pl).values_list(
                "product_id", "price", "min_quantity", "valid_from", "valid_to"
            )
        )

    assert shape(copy) == shape(target)


def test_the_xlsx_export(admin_user, catalogue, target):
    PriceListItemFactory(price_list=target, product=catalogue["B-2"], price=D("3.5"))
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.get(f"/api/v1/price-lists/{target.pk}/export/?file_format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("sku", "name", "price", "min_quantity", "valid_from", "valid_to")
    assert rows[1][:3] == ("B-2", "Товар B-2", 3.5)


def test_the_api_dry_run_then_apply(admin_user, manager, catalogue, target):
    api = APIClient()
    api.force_authenticate(admin_user)
    upload = SimpleUploadedFile("p.csv", csv_bytes("A-1;1;;2026-11-01;\nB-2;-1;;2026-11-01;\n"))
    response = api.post(
        f"/api/v1/price-lists/{target.pk}/imports/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["rows_total"], body["error_rows"]) == (2, 1)
    assert body["errors"][0] | {"message": ""} == {
        "row": 3, "field": "price", "code": "price_negative", "message": "", "value": "-1",
    }  # fmt: skip
    refused = api.post(f"/api/v1/price-lists/{target.pk}/imports/{body['id']}/apply/")
    assert (refused.status_code, refused.json()["code"]) == (400, "import_has_errors")
    assert not PriceListItem.objects.filter(price_list=target).exists()

    good = SimpleUploadedFile("p.csv", csv_bytes("A-1;1;;2026-11-01;\n"))
    body = api.post(
        f"/api/v1/price-lists/{target.pk}/imports/", {"file": good}, format="multipart"
    ).json()
    applied = api.post(f"/api/v1/price-lists/{target.pk}/imports/{body['id']}/apply/")
    assert (applied.status_code, applied.json()["added"]) == (200, 1)

    bad = SimpleUploadedFile("p.csv", "sku;price;valid_from\n".encode("utf-16"))
    response = api.post(
        f"/api/v1/price-lists/{target.pk}/imports/", {"file": bad}, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, "file_encoding_invalid")

    as_manager = APIClient()
    as_manager.force_authenticate(manager)
    forbidden = as_manager.post(
        f"/api/v1/price-lists/{target.pk}/imports/",
        {"file": SimpleUploadedFile("p.csv", csv_bytes("A-1;1;;2026-11-01;\n"))},
        format="multipart",
    )
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "master_data_forbidden")


def test_the_import_page_previews_and_applies(admin_user, manager, catalogue, target, client):
    client.force_login(manager)
    assert client.get(reverse("pricing:price_import", args=[target.pk])).status_code == 403
    client.force_login(admin_user)
    url = reverse("pricing:price_import", args=[target.pk])
    assert client.get(url).status_code == 200

    bad = SimpleUploadedFile("p.csv", csv_bytes("A-1;-1;;2026-11-01;\n"))
    page = client.post(url, {"file": bad, "mode": "add"}).content.decode()
    assert "price_negative" in page and "Correct the file" in page
    assert not PriceListItem.objects.filter(price_list=target).exists()

    good = SimpleUploadedFile("p.csv", csv_bytes("A-1;10;;2026-11-01;\n"))
    page = client.post(url, {"file": good, "mode": "add"}).content.decode()
    imp = PriceImport.objects.latest("pk")
    apply_url = reverse("pricing:price_import_apply", args=[target.pk, imp.pk])
    assert apply_url in page
    response = client.post(apply_url)
    assert response.status_code == 302
    assert PriceListItem.objects.get(price_list=target).price == D("10")

    wrong = SimpleUploadedFile("p.csv", "sku;price\n".encode("utf-16"))
    page = client.post(url, {"file": wrong, "mode": "add"})
    assert page.status_code == 400 and "file_encoding_invalid" in page.content.decode()
