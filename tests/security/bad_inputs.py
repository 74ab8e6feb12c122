"""The catalogue of bad inputs (docs/bad-inputs.md), as data the test replays.

Each case: who sends it, the request, and the refusal expected — status and stable code.
`ref("name")` is the id of a world record (tests/security/world.py) from the sender's own
book; `ref("name", "other")` from another team's. The ids (B01...) are the rows of the doc;
test_bad_inputs.py checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HUGE = 10**30
A_DATE = "2026-03-02"


@dataclass(frozen=True)
class R:
    """A record's id in a body or a path: `name` from the `scope` book of the sender."""

    name: str
    scope: str = "own"
    attr: str = "pk"


def ref(name: str, scope: str = "own", attr: str = "pk") -> R:
    return R(name, scope, attr)


@dataclass(frozen=True)
class Case:
    id: str
    input: str  # what is wrong, in words (the doc's column)
    method: str
    path: str  # "{order}" is replaced by the sender's record id, "{order:other}" another's
    body: Any = None
    status: int = 400
    code: str = "validation_error"
    names: str | None = None  # for validation_error: the field named in `fields`
    role: str = "sales_manager"
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    before: tuple = ()  # requests (method, path, body, headers) sent first, in the same savepoint


LINE = {"product": ref("product"), "quantity": "1"}


def order_body(**changes: Any) -> dict:
    return {"customer": ref("customer"), "lines": [LINE], **changes}


def line(**changes: Any) -> dict:
    return {**LINE, **changes}


CASES: list[Case] = [
    # --- entering an order -------------------------------------------------------------------
    Case("B01", "no customer", "post", "/api/v1/orders/", {"lines": [LINE]}, names="customer"),
    Case(
        "B02",
        "customer id is text",
        "post",
        "/api/v1/orders/",
        {"customer": "abc"},
        names="customer",
    ),
    Case(
        "B03",
        "customer that does not exist",
        "post",
        "/api/v1/orders/",
        {"customer": 999999},
        code="customer_unknown",
    ),
    Case(
        "B04",
        "another team's customer",
        "post",
        "/api/v1/orders/",
        {"customer": ref("customer", "other")},
        status=403,
        code="customer_not_permitted",
    ),
    Case(
        "B05",
        "quantity zero",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="0")]),
        code="quantity_not_positive",
    ),
    Case(
        "B06",
        "quantity negative",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="-5")]),
        code="quantity_not_positive",
    ),
    Case(
        "B07",
        "quantity with 4 decimals (column has 3)",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="1.0001")]),
        names="lines[0].quantity",
    ),
    Case(
        "B08",
        "quantity not a number (NaN)",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="NaN")]),
        names="lines[0].quantity",
    ),
    Case(
        "B09",
        "quantity beyond the column (10^20)",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="100000000000000000000")]),
        names="lines[0].quantity",
    ),
    Case(
        "B10",
        "discount above 100 %",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(discount_percent="101")]),
        code="discount_out_of_range",
    ),
    Case(
        "B11",
        "negative price",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(unit_price="-1")]),
        code="price_negative",
    ),
    Case(
        "B12",
        "product that does not exist",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(product=999999)]),
        code="product_unknown",
    ),
    Case(
        "B13",
        "product withdrawn from sale",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(product=ref("inactive_product"))]),
        code="product_inactive",
    ),
    Case(
        "B14",
        "currency that does not exist",
        "post",
        "/api/v1/orders/",
        order_body(currency="XXX"),
        code="currency_unknown",
        role="administrator",
    ),
    Case(
        "B15",
        "currency without a rate on the order date",
        "post",
        "/api/v1/orders/",
        order_body(currency="USD", order_date="2025-01-01"),
        code="exchange_rate_missing",
        role="administrator",
    ),
    Case(
        "B16",
        "order date not a date",
        "post",
        "/api/v1/orders/",
        order_body(order_date="31.02.2026"),
        names="order_date",
    ),
    Case(
        "B17",
        "a field the API does not know",
        "post",
        "/api/v1/orders/",
        order_body(colour="red"),
        names="colour",
    ),
    Case(
        "B18",
        "a term the manager may not change",
        "post",
        "/api/v1/orders/",
        order_body(payment_terms=ref("payment_terms_other")),
        status=403,
        code="term_change_forbidden",
    ),
    Case(
        "B19",
        "more lines than allowed (1001)",
        "post",
        "/api/v1/orders/",
        order_body(lines=[LINE] * 1001),
        names="lines.non_field_errors",
    ),
    Case(
        "B20",
        "Idempotency-Key longer than 255",
        "post",
        "/api/v1/orders/",
        order_body(),
        code="idempotency_key_invalid",
        headers={"Idempotency-Key": "k" * 256},
    ),
    Case(
        "B21",
        "Idempotency-Key reused with another body",
        "post",
        "/api/v1/orders/",
        order_body(lines=[line(quantity="2")]),
        code="idempotency_key_reused",
        headers={"Idempotency-Key": "key-1"},
        before=(("post", "/api/v1/orders/", order_body(), {"Idempotency-Key": "key-1"}),),
    ),
    Case(
        "B22",
        "body that is not JSON",
        "post",
        "/api/v1/orders/",
        "{customer: 1",
        code="parse_error",
    ),
    # --- reading orders ----------------------------------------------------------------------
    Case(
        "B23",
        "unknown status in the filter",
        "get",
        "/api/v1/orders/",
        query={"status": "shipped_yesterday"},
        code="filter_invalid",
    ),
    Case(
        "B24",
        "reversed date range",
        "get",
        "/api/v1/orders/",
        query={"date_from": "2026-02-01", "date_to": "2026-01-01"},
        code="date_range_reversed",
    ),
    Case(
        "B25",
        "unknown filter",
        "get",
        "/api/v1/orders/",
        query={"colour": "red"},
        code="filter_unknown",
    ),
    Case(
        "B26",
        "date filter not a date",
        "get",
        "/api/v1/orders/",
        query={"date_from": "yesterday"},
        code="filter_invalid",
    ),
    Case(
        "B27",
        "customer filter not a number",
        "get",
        "/api/v1/orders/",
        query={"customer": "abc"},
        code="filter_invalid",
    ),
    Case(
        "B28",
        "order that does not exist",
        "get",
        "/api/v1/orders/999999/",
        status=404,
        code="order_not_found",
    ),
    Case(
        "B29",
        "another team's order (not revealed)",
        "get",
        "/api/v1/orders/{order:other}/",
        status=404,
        code="order_not_found",
    ),
    # --- changing orders ---------------------------------------------------------------------
    Case(
        "B30",
        "header change of a confirmed order",
        "patch",
        "/api/v1/orders/{order}/",
        {"comment": "x"},
        status=409,
        code="order_not_editable",
    ),
    Case(
        "B31",
        "line added to a confirmed order",
        "post",
        "/api/v1/orders/{order}/lines/",
        LINE,
        status=409,
        code="order_not_editable",
    ),
    Case(
        "B32",
        "confirming a confirmed order",
        "post",
        "/api/v1/orders/{order}/confirm/",
        status=409,
        code="invalid_transition",
    ),
    Case(
        "B33",
        "cancelling without a reason",
        "post",
        "/api/v1/orders/{order}/cancel/",
        {"reason": ""},
        code="cancel_reason_required",
    ),
    Case(
        "B34",
        "cancelling with an unknown reason",
        "post",
        "/api/v1/orders/{order}/cancel/",
        {"reason": "bored"},
        code="cancel_reason_unknown",
    ),
    Case(
        "B35",
        "amendment without a reason",
        "post",
        "/api/v1/orders/{order}/amendments/",
        {"reason": "", "add": [LINE]},
        code="amendment_reason_required",
    ),
    Case(
        "B36",
        "amendment that changes nothing",
        "post",
        "/api/v1/orders/{order}/amendments/",
        {"reason": "customer called"},
        code="nothing_to_amend",
    ),
    Case(
        "B37",
        "amendment removing a line of another order",
        "post",
        "/api/v1/orders/{order}/amendments/",
        {"reason": "customer called", "remove": [ref("line", "other")]},
        code="line_unknown",
    ),
    Case(
        "B38",
        "draft line quantity set to zero",
        "patch",
        "/api/v1/orders/{draft}/lines/{draft_line}/",
        {"quantity": "0"},
        code="quantity_not_positive",
    ),
    Case(
        "B39",
        "delivery schedule above the line quantity",
        "patch",
        "/api/v1/orders/{draft}/lines/{draft_line}/",
        {"schedule": [{"date": A_DATE, "quantity": "5"}]},
        code="schedule_exceeds_quantity",
    ),
    Case(
        "B40",
        "delivery schedule with a date twice",
        "patch",
        "/api/v1/orders/{draft}/lines/{draft_line}/",
        {"schedule": [{"date": A_DATE, "quantity": "1"}, {"date": A_DATE, "quantity": "1"}]},
        code="schedule_date_repeated",
    ),
    Case(
        "B41",
        "line of another order",
        "patch",
        "/api/v1/orders/{draft}/lines/{line}/",
        {"quantity": "1"},
        code="line_unknown",
    ),
    Case(
        "B42",
        "copying another team's order",
        "post",
        "/api/v1/orders/{order:other}/copy/",
        {},
        status=404,
        code="order_not_found",
    ),
    # --- templates ---------------------------------------------------------------------------
    Case(
        "B43",
        "template without lines",
        "post",
        "/api/v1/order-templates/",
        {"name": "Порожній", "lines": []},
        code="template_empty",
    ),
    Case(
        "B44",
        "template without a name",
        "post",
        "/api/v1/order-templates/",
        {"name": "", "lines": [LINE]},
        code="template_name_required",
    ),
    Case(
        "B45",
        "template by the warehouse",
        "post",
        "/api/v1/order-templates/",
        {"name": "Склад", "lines": [LINE]},
        status=403,
        code="template_not_permitted",
        role="warehouse",
    ),
    Case(
        "B46",
        "order from a template for another team's customer",
        "post",
        "/api/v1/order-templates/{template}/create-order/",
        {"customer": ref("customer", "other")},
        status=403,
        code="customer_not_permitted",
    ),
    # --- customers ---------------------------------------------------------------------------
    Case(
        "B47",
        "tax id already used",
        "post",
        "/api/v1/customers/",
        {
            "legal_name": "ТОВ «Двійник»",
            "short_name": "Двійник",
            "tax_id": ref("customer", attr="tax_id"),
        },
        code="tax_id_taken",
    ),
    Case(
        "B48",
        "tax id of letters",
        "post",
        "/api/v1/customers/",
        {"legal_name": "ТОВ «Літери»", "short_name": "Літери", "tax_id": "ABCDEFGH"},
        code="tax_id_invalid",
    ),
    Case(
        "B49",
        "customer created by the warehouse",
        "post",
        "/api/v1/customers/",
        {"legal_name": "ТОВ «Склад»", "short_name": "Склад", "tax_id": "39999999"},
        status=403,
        code="permission_denied",
        role="warehouse",
    ),
    Case(
        "B50",
        "manager renames own customer (not a contact detail)",
        "patch",
        "/api/v1/customers/{customer}/",
        {"legal_name": "ТОВ «Інша назва»"},
        status=403,
        code="customer_field_forbidden",
    ),
    Case(
        "B51",
        "contact without a name",
        "post",
        "/api/v1/customers/{customer}/contacts/",
        {"name": ""},
        names="name",
    ),
    # --- catalogue, prices, rates --------------------------------------------------------------
    Case(
        "B52",
        "SKU already used",
        "post",
        "/api/v1/products/",
        {"sku": "NAIL-100", "name": "Двійник"},
        code="sku_taken",
        role="administrator",
    ),
    Case(
        "B53",
        "product created by a manager",
        "post",
        "/api/v1/products/",
        {"sku": "NEW-1", "name": "Новий"},
        status=403,
        code="master_data_forbidden",
    ),
    Case(
        "B54",
        "VAT rate 150 %",
        "post",
        "/api/v1/products/",
        {"sku": "NEW-2", "name": "Новий", "vat_rate": "150"},
        code="vat_rate_invalid",
        role="administrator",
    ),
    Case(
        "B55",
        "warehouse code already used",
        "post",
        "/api/v1/warehouses/",
        {"code": "MAIN", "name": "Ще один"},
        code="warehouse_code_taken",
        role="administrator",
    ),
    Case(
        "B56",
        "exchange rate zero",
        "post",
        "/api/v1/exchange-rates/",
        {"currency": "USD", "date": A_DATE, "rate": "0"},
        code="rate_not_positive",
        role="administrator",
    ),
    Case(
        "B57",
        "exchange rate of an unknown currency",
        "post",
        "/api/v1/exchange-rates/",
        {"currency": "ZZZ", "date": A_DATE, "rate": "1"},
        code="currency_unknown",
        role="administrator",
    ),
    Case(
        "B58",
        "negative price in a price list",
        "post",
        "/api/v1/price-lists/{price_list}/items/",
        {"product": ref("product"), "price": "-1", "valid_from": A_DATE},
        code="price_negative",
        role="administrator",
    ),
    Case(
        "B59",
        "price overlapping an existing one",
        "post",
        "/api/v1/price-lists/{price_list}/items/",
        {"product": ref("product"), "price": "90", "valid_from": "2020-01-01"},
        code="price_period_overlap",
        role="administrator",
    ),
    Case(
        "B60",
        "contract number already used",
        "post",
        "/api/v1/contracts/",
        {
            "customer": ref("customer"),
            "number": ref("contract", attr="number"),
            "date": A_DATE,
            "payment_terms": ref("payment_terms"),
            "payment_method": ref("payment_method"),
        },
        code="contract_number_taken",
        role="administrator",
    ),
    Case(
        "B61",
        "contract valid to before valid from",
        "post",
        "/api/v1/contracts/",
        {
            "customer": ref("customer"),
            "number": "N/1",
            "date": A_DATE,
            "valid_from": "2026-05-01",
            "valid_to": "2026-04-01",
            "payment_terms": ref("payment_terms"),
            "payment_method": ref("payment_method"),
        },
        code="contract_period_invalid",
        role="administrator",
    ),
    Case(
        "B62",
        "payment terms whose shares are not 100 %",
        "post",
        "/api/v1/payment-terms/",
        {
            "code": "HALF",
            "name": "Половина",
            "instalments": [{"share_percent": "50", "trigger": "after_invoice", "days": 5}],
        },
        code="instalments_not_100",
        role="administrator",
    ),
    # --- page numbers (every list; the billing pages likewise answer 404) --------------------
    Case(
        "B63",
        "page number beyond any list (10^20)",
        "get",
        "/api/v1/orders/",
        query={"page": "99999999999999999999"},
        status=404,
        code="not_found",
    ),
    Case(
        "B64",
        "page number not a number",
        "get",
        "/api/v1/invoices/",
        query={"page": "abc"},
        status=404,
        code="not_found",
    ),
    Case(
        "B65",
        "report page beyond the bound (10^20)",
        "get",
        "/api/v1/reports/order-states/",
        query={"page": "99999999999999999999"},
        code="filter_invalid",
    ),
    Case(
        "B66",
        "report page negative",
        "get",
        "/api/v1/reports/order-states/",
        query={"page": "-1"},
        code="filter_invalid",
    ),
    # --- an order confirmed at entry (one request for an e-shop) ------------------------------
    Case(
        "B67",
        "confirm at entry that is not true or false",
        "post",
        "/api/v1/orders/",
        order_body(confirm="maybe"),
        names="confirm",
    ),
    Case(
        "B68",
        "confirm at entry of an order without lines (no draft is left)",
        "post",
        "/api/v1/orders/",
        {"customer": ref("customer"), "lines": [], "confirm": True},
        code="order_empty",
    ),
]
