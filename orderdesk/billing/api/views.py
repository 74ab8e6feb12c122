"""Billing REST API: documents, payments, statement import, allocations, open items, statements.

Every view first finds the record through a selector (what the user may not see is 404,
never a hint that it exists), then calls one service; refusals leave as
{"code", "detail", "fields"} through `core.api.exception_handler`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from orderdesk.core.api import CREATED, ERROR_RESPONSES, IDEMPOTENCY_HEADER, idempotent
from orderdesk.core.errors import NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.services import base_currency
from orderdesk.orders.api.views import parse, validated
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import order_scope
from orderdesk.receivables import selectors as ledger
from orderdesk.receivables.models import OpenItem

from .. import pdf, selectors, services
from ..permissions import can_view_billing
from . import serializers as s

DOCS = ["billing documents"]
MONEY = ["payments and settlements"]
PAGINATION = {"page", "page_size"}
ERRORS_503 = {
    **ERROR_RESPONSES,
    503: OpenApiResponse(description="PDF printing unavailable (`pdf_unavailable`)"),
}

OUTPUT = {
    "invoice": s.InvoiceSerializer,
    "delivery_note": s.DeliveryNoteSerializer,
    "credit_note": s.CreditNoteSerializer,
    "cash_receipt": s.CashReceiptSerializer,
}


def filters_of(request: Request) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k not in PAGINATION}


def visible_order(user, pk: Any) -> Order:
    order = Order.objects.filter(order_scope(user), pk=pk).first()
    if order is None:
        raise ValidationFailed(_("No such order."), code="order_unknown", fields={"order": str(pk)})
    return order


def document_response(request: Request, doc_type: str, pk: int, code: int = 200) -> Response:
    doc = selectors.document_get_for(request.user, doc_type, pk)
    return Response(OUTPUT[doc_type](doc).data, status=code)


class MayViewBilling(BasePermission):
    """The roles the billing pages let in (`can_view_billing`): anyone else is refused with
    403 `billing_not_permitted`, not answered with empty lists."""

    def has_permission(self, request: Request, view) -> bool:
        if not can_view_billing(request.user, getattr(view, "doc_type", "")):
            raise PermissionRefused(
                _("Billing is not part of your role."), code="billing_not_permitted"
            )
        return True


class BillingAPIView(GenericAPIView):
    parser_classes = [JSONParser]
    filter_backends: list = []
    permission_classes = [IsAuthenticated, MayViewBilling]
    doc_type = ""


DOC_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=["draft", "posted", "reversed"]),
    OpenApiParameter("customer", OpenApiTypes.INT),
    OpenApiParameter("order", OpenApiTypes.INT),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("q", OpenApiTypes.STR, description="Number, customer, order number."),
]


def _create(doc_type: str, request: Request):
    user = request.user
    if doc_type == "invoice":
        data = parse(s.InvoiceCreateInputSerializer, request)
        order = visible_order(user, data["order"])
        return services.invoice_create(
            by=user,
            order=order,
            kind=data["kind"],
            lines=s.line_pairs(data.get("lines")),
            shipped_on=data.get("shipped_on"),
            shipment_ref=data.get("shipment_ref", ""),
            comment=data.get("comment", ""),
        )
    if doc_type == "delivery_note":
        data = parse(s.DeliveryNoteCreateInputSerializer, request)
        order = visible_order(user, data["order"])
        return services.delivery_note_create(
            by=user,
            order=order,
            lines=s.line_pairs(data["lines"]),
            shipped_on=data.get("shipped_on"),
            shipment_ref=data.get("shipment_ref", ""),
        )
    if doc_type == "credit_note":
        data = parse(s.CreditNoteCreateInputSerializer, request)
        order = visible_order(user, data["order"])
        return services.credit_note_create(
            by=user,
            order=order,
            reason=data["reason"],
            invoice=data.get("invoice"),
            lines=s.line_pairs(data.get("lines")),
            amount=data.get("amount"),
            comment=data.get("comment", ""),
        )
    data = parse(s.CashReceiptCreateInputSerializer, request)
    return services.cash_receipt_create(by=user, **data)


def make_document_views(doc_type: str, tag_name: str):
    """List/create, detail/update/delete, post, reverse and PDF views for one document type."""
    out = OUTPUT[doc_type]
    create_input = {
        "invoice": s.InvoiceCreateInputSerializer,
        "delivery_note": s.DeliveryNoteCreateInputSerializer,
        "credit_note": s.CreditNoteCreateInputSerializer,
        "cash_receipt": s.CashReceiptCreateInputSerializer,
    }[doc_type]
    op = doc_type + "s"

    class ListCreate(BillingAPIView):
        @extend_schema(
            operation_id=f"{op}_list",
            tags=DOCS,
            parameters=DOC_FILTERS,
            responses={200: out(many=True), **ERROR_RESPONSES},
            description=f"{tag_name} the user may see.",
        )
        def get(self, request: Request) -> Response:
            qs = selectors.document_list_for(request.user, doc_type, filters_of(request))
            if doc_type != "cash_receipt":
                qs = qs.prefetch_related("lines")
            if doc_type == "invoice":
                qs = qs.prefetch_related("instalments")
            page = self.paginate_queryset(qs)
            return self.get_paginated_response(out(page, many=True).data)

        @extend_schema(
            operation_id=f"{op}_create",
            tags=DOCS,
            request=create_input,
            responses={201: out, **ERROR_RESPONSES},
            description=f"Create a {tag_name.lower()} draft (accountants; a seller may create "
            "a prepayment invoice for an own order). Posting numbers it.",
        )
        def post(self, request: Request) -> Response:
            doc = _create(doc_type, request)
            return document_response(request, doc_type, doc.pk, CREATED)

    class Detail(BillingAPIView):
        @extend_schema(
            operation_id=f"{op}_retrieve", tags=DOCS, responses={200: out, **ERROR_RESPONSES}
        )
        def get(self, request: Request, pk: int) -> Response:
            return document_response(request, doc_type, pk)

        @extend_schema(
            operation_id=f"{op}_partial_update",
            tags=DOCS,
            request=s.DocumentUpdateInputSerializer,
            responses={200: out, **ERROR_RESPONSES},
            description="Change a draft. A posted document answers 409 `document_posted`.",
        )
        def patch(self, request: Request, pk: int) -> Response:
            selectors.document_get_for(request.user, doc_type, pk)
            changes = parse(s.DocumentUpdateInputSerializer, request)
            services.document_update(by=request.user, doc_type=doc_type, pk=pk, **changes)
            return document_response(request, doc_type, pk)

        @extend_schema(
            operation_id=f"{op}_destroy",
            tags=DOCS,
            request=None,
            responses={204: None, **ERROR_RESPONSES},
            description="Delete a draft (`document_posted` for a posted one).",
        )
        def delete(self, request: Request, pk: int) -> Response:
            selectors.document_get_for(request.user, doc_type, pk)
            services.document_delete(by=request.user, doc_type=doc_type, pk=pk)
            return Response(status=status.HTTP_204_NO_CONTENT)

    class Post(BillingAPIView):
        @extend_schema(
            operation_id=f"{op}_post",
            tags=DOCS,
            request=None,
            responses={200: out, **ERROR_RESPONSES},
            description="Post the draft: number, date, rate, ledger effect. Posting twice: "
            "409 `document_already_posted`.",
        )
        def post(self, request: Request, pk: int) -> Response:
            selectors.document_get_for(request.user, doc_type, pk)
            services.document_post(by=request.user, doc_type=doc_type, pk=pk)
            return document_response(request, doc_type, pk)

    class Reverse(BillingAPIView):
        @extend_schema(
            operation_id=f"{op}_reverse",
            tags=DOCS,
            request=s.ReverseInputSerializer,
            responses={200: out, **ERROR_RESPONSES},
            description="Reverse a posted document with a reason (an invoice by a storno "
            "credit note).",
        )
        def post(self, request: Request, pk: int) -> Response:
            selectors.document_get_for(request.user, doc_type, pk)
            data = parse(s.ReverseInputSerializer, request)
            services.document_reverse(
                by=request.user, doc_type=doc_type, pk=pk, reason=data["reason"]
            )
            return document_response(request, doc_type, pk)

    class Pdf(BillingAPIView):
        @extend_schema(
            operation_id=f"{op}_pdf",
            tags=DOCS,
            parameters=[OpenApiParameter("lang", OpenApiTypes.STR, enum=["uk", "en"])],
            responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS_503},
        )
        def get(self, request: Request, pk: int) -> HttpResponse:
            doc = selectors.document_get_for(request.user, doc_type, pk)
            name, data = pdf.document_pdf(doc, lang=request.query_params.get("lang", "uk"))
            return pdf_response(name, data)

    views = (ListCreate, Detail, Post, Reverse, Pdf)
    for view in views:
        view.doc_type = doc_type
    return views


def pdf_response(name: str, data: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


INVOICE_VIEWS = make_document_views("invoice", "Invoices")
DELIVERY_NOTE_VIEWS = make_document_views("delivery_note", "Delivery notes")
CREDIT_NOTE_VIEWS = make_document_views("credit_note", "Credit notes")
CASH_RECEIPT_VIEWS = make_document_views("cash_receipt", "Cash receipts")


class PaymentListCreateView(BillingAPIView):
    @extend_schema(
        operation_id="payments_list",
        tags=MONEY,
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("q", OpenApiTypes.STR),
        ],
        responses={200: s.PaymentSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.payment_list_for(request.user, filters_of(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.PaymentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="payments_create",
        tags=MONEY,
        parameters=[IDEMPOTENCY_HEADER],
        request=s.PaymentCreateInputSerializer,
        responses={201: s.PaymentSerializer, **ERROR_RESPONSES},
        description="Record a bank payment and settle invoices with it (oldest due first, or "
        "as chosen); the rest stays as the customer's credit.",
    )
    def post(self, request: Request) -> Response:
        def create() -> Response:
            serializer = validated(s.PaymentCreateInputSerializer, request)
            data = serializer.validated_data
            order = data.get("order")
            if order is not None:
                order = visible_order(request.user, order)
            payment = services.payment_create(
                by=request.user,
                customer=data["customer"],
                order=order,
                amount=data["amount"],
                currency=data.get("currency"),
                payment_date=data.get("payment_date"),
                payer_name=data.get("payer_name", ""),
                payer_tax_id=data.get("payer_tax_id", ""),
                purpose=data.get("purpose", ""),
                bank_reference=data.get("bank_reference", ""),
                allocations=serializer.allocation_arg(),
            )
            payment = selectors.payment_get_for(request.user, payment.pk)
            return Response(s.PaymentSerializer(payment).data, status=CREATED)

        return idempotent(request, scope="billing.payment.create", handler=create)


class PaymentDetailView(BillingAPIView):
    @extend_schema(
        operation_id="payments_retrieve",
        tags=MONEY,
        responses={200: s.PaymentSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.PaymentSerializer(selectors.payment_get_for(request.user, pk)).data)


class PaymentReverseView(BillingAPIView):
    @extend_schema(
        operation_id="payments_reverse",
        tags=MONEY,
        request=s.ReverseInputSerializer,
        responses={200: s.PaymentSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        payment = selectors.payment_get_for(request.user, pk)
        data = parse(s.ReverseInputSerializer, request)
        services.payment_reverse(by=request.user, payment=payment, reason=data["reason"])
        return Response(s.PaymentSerializer(selectors.payment_get_for(request.user, pk)).data)


class PaymentImportView(BillingAPIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="payments_import",
        tags=MONEY,
        request=s.StatementImportInputSerializer,
        responses={200: s.ImportResultSerializer, 201: s.ImportResultSerializer, **ERROR_RESPONSES},
        description="A bank statement CSV with a column mapping. `dry_run` (default true) "
        "answers the preview; otherwise every row is imported as a payment, or none when any "
        "row has an error (`statement_invalid`, the rows' errors in `fields.rows`).",
    )
    def post(self, request: Request) -> Response:
        payload = {k: request.data.get(k) for k in request.data}
        if isinstance(payload.get("mapping"), str):  # a multipart form sends it as JSON text
            try:
                payload["mapping"] = json.loads(payload["mapping"])
            except ValueError:
                raise ValidationFailed(
                    _("The column mapping is not JSON."), code="mapping_invalid"
                ) from None
        serializer = s.StatementImportInputSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        raw = data["file"].read() if data.get("file") else data.get("data", "")
        result = services.statement_import(
            by=request.user,
            data=raw,
            mapping=data.get("mapping"),
            dry_run=data["dry_run"],
            delimiter=data.get("delimiter"),
            default_currency=data.get("default_currency"),
            skip_duplicates=data["skip_duplicates"],
        )
        code = status.HTTP_200_OK if result.dry_run else CREATED
        return Response(result.as_dict(), status=code)


class AllocationListCreateView(BillingAPIView):
    @extend_schema(
        operation_id="allocations_list",
        tags=MONEY,
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("item", OpenApiTypes.INT),
        ],
        responses={200: s.AllocationSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.allocation_list_for(request.user, filters_of(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.AllocationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="allocations_create",
        tags=MONEY,
        request=s.AllocationCreateInputSerializer,
        responses={201: s.AllocationSerializer, **ERROR_RESPONSES},
        description="Settle an instalment (debit) with a payment's or credit note's credit.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.AllocationCreateInputSerializer, request)
        for name in ("debit", "credit"):
            _visible_item(request.user, data[name], name)
        allocation = services.allocation_create(
            by=request.user,
            debit=data["debit"],
            credit=data["credit"],
            amount=data["amount"],
            on=data.get("date"),
        )
        return Response(s.AllocationSerializer(allocation).data, status=CREATED)


class AllocationCancelView(BillingAPIView):
    @extend_schema(
        operation_id="allocations_cancel",
        tags=MONEY,
        request=None,
        responses={200: s.AllocationSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        if not selectors.allocation_list_for(request.user).filter(pk=pk).exists():
            raise NotFound(_("No such allocation."), code="allocation_not_found")
        allocation = services.allocation_cancel(by=request.user, allocation=pk)
        return Response(s.AllocationSerializer(allocation).data)


def _visible_item(user, pk: int, field: str) -> OpenItem:
    item = ledger.open_items_for(user=user, only_open=False).filter(pk=pk).first()
    if item is None:
        raise ValidationFailed(
            _("No such open item."), code="item_not_found", fields={field: str(pk)}
        )
    return item


def _date_param(request: Request, name: str, default: dt.date | None) -> dt.date | None:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("Not a date: %(v)s.") % {"v": value}, code="date_invalid", fields={name: value}
        ) from None


class OpenItemListView(BillingAPIView):
    @extend_schema(
        operation_id="open_items_list",
        tags=MONEY,
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("currency", OpenApiTypes.STR),
            OpenApiParameter("side", OpenApiTypes.STR, enum=["debit", "credit"]),
            OpenApiParameter("open", OpenApiTypes.BOOL, description="Only open (default true)."),
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="Open amounts replayed as of this date."
            ),
        ],
        responses={200: s.OpenItemSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        qs = ledger.open_items_for(
            user=request.user,
            customer=params.get("customer"),
            order_id=params.get("order"),
            currency=params.get("currency"),
            side=params.get("side"),
            only_open=params.get("open", "true").lower() not in ("0", "false", "no"),
            as_of=_date_param(request, "as_of", None),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.OpenItemSerializer(page, many=True).data)


STATEMENT_PARAMS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Default: 1st of this month."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Default: today."),
    OpenApiParameter("currency", OpenApiTypes.STR, description="Default: base currency."),
]


def statement_for(request: Request, pk: int):
    customer = ledger.customer_for(user=request.user, pk=pk)
    today = dt.date.today()
    return ledger.statement(
        customer=customer,
        currency=(request.query_params.get("currency") or base_currency()).upper(),
        date_from=_date_param(request, "date_from", today.replace(day=1)),
        date_to=_date_param(request, "date_to", today),
    )


class CustomerStatementView(BillingAPIView):
    @extend_schema(
        operation_id="customers_statement",
        tags=MONEY,
        parameters=STATEMENT_PARAMS,
        responses={200: s.StatementSerializer, **ERROR_RESPONSES},
        description="A customer statement (акт звірки) for a period.",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.StatementSerializer(statement_for(request, pk)).data)


class CustomerStatementPdfView(BillingAPIView):
    @extend_schema(
        operation_id="customers_statement_pdf",
        tags=MONEY,
        parameters=[
            *STATEMENT_PARAMS,
            OpenApiParameter("lang", OpenApiTypes.STR, enum=["uk", "en"]),
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS_503},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        name, data = pdf.statement_pdf(
            statement_for(request, pk), lang=request.query_params.get("lang", "uk")
        )
        return pdf_response(name, data)
