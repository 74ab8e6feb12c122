"""Payments REST API: payment links, held payments, intermediaries, payout reports and lines.

Every view finds the record through a selector (what the user may not see is 404), then calls
one service; refusals leave as {"code", "detail", "fields"}. Creating a payment link calls the
provider, so it runs outside a transaction and takes no Idempotency-Key: asking again for the
same invoice and provider returns the link that is still usable instead of a new one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from orderdesk.core.api import CREATED, ERROR_RESPONSES
from orderdesk.core.errors import PermissionRefused
from orderdesk.orders.api.views import parse
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import order_scope

from .. import pdf, selectors, services
from ..permissions import can_manage, can_read_all
from . import serializers as s

TAGS = ["payment services"]
PAGINATION = {"page", "page_size"}
ERRORS_502 = {
    **ERROR_RESPONSES,
    502: OpenApiResponse(
        description="The provider failed (`provider_unavailable`, `provider_refused`)"
    ),
}


def filters_of(request: Request) -> dict[str, Any]:
    return {k: v for k, v in request.query_params.items() if k not in PAGINATION}


def require_read_all(user) -> None:
    if not can_read_all(user):
        raise PermissionRefused(
            "Only accountants, administrators and credit controllers see this.",
            code="payments_not_permitted",
        )


class PaymentsAPIView(GenericAPIView):
    parser_classes = [JSONParser]
    filter_backends: list = []


class LinkListCreateView(PaymentsAPIView):
    @extend_schema(
        operation_id="payment_links_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("provider", OpenApiTypes.STR, enum=["liqpay", "monobank", "stripe"]),
            OpenApiParameter("invoice", OpenApiTypes.INT),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("q", OpenApiTypes.STR),
        ],
        responses={200: s.PaymentLinkSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.link_list_for(request.user, filters_of(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.PaymentLinkSerializer(page, many=True).data)

    @extend_schema(
        operation_id="payment_links_create",
        tags=TAGS,
        request=s.LinkCreateInputSerializer,
        responses={201: s.PaymentLinkSerializer, **ERRORS_502},
        description="A payment link for the open amount of a posted invoice (accountants; a "
        "seller for an own order's invoice). A usable link of the same provider for the same "
        "amount is returned again instead of a new one.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.LinkCreateInputSerializer, request)
        invoice = selectors.invoice_get_for(request.user, data["invoice"])
        link = services.payment_link_create(
            by=request.user, invoice=invoice, provider=data["provider"]
        )
        link = selectors.link_get_for(request.user, link.pk)
        return Response(s.PaymentLinkSerializer(link).data, status=CREATED)


class LinkDetailView(PaymentsAPIView):
    @extend_schema(
        operation_id="payment_links_retrieve",
        tags=TAGS,
        responses={200: s.PaymentLinkDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        link = selectors.link_get_for(request.user, pk)
        return Response(s.PaymentLinkDetailSerializer(link).data)


class HoldListView(PaymentsAPIView):
    @extend_schema(
        operation_id="payment_holds_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "applied", "dismissed"]),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("customer", OpenApiTypes.INT),
            OpenApiParameter("invoice", OpenApiTypes.INT),
        ],
        responses={200: s.HoldSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.hold_list_for(request.user, filters_of(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.HoldSerializer(page, many=True).data)


class HoldApplyView(PaymentsAPIView):
    @extend_schema(
        operation_id="payment_holds_apply",
        tags=TAGS,
        request=s.HoldApplyInputSerializer,
        responses={200: s.HoldSerializer, **ERROR_RESPONSES},
        description="Record a held payment by hand against its invoice or the one named.",
    )
    def post(self, request: Request, pk: int) -> Response:
        hold = selectors.hold_get_for(request.user, pk)
        data = parse(s.HoldApplyInputSerializer, request)
        invoice = data.get("invoice")
        if invoice is not None:
            invoice = selectors.invoice_get_for(request.user, invoice)
        hold = services.hold_apply(
            by=request.user, hold=hold, invoice=invoice, note=data.get("note", "")
        )
        return Response(s.HoldSerializer(selectors.hold_get_for(request.user, hold.pk)).data)


class HoldDismissView(PaymentsAPIView):
    @extend_schema(
        operation_id="payment_holds_dismiss",
        tags=TAGS,
        request=s.ReasonInputSerializer,
        responses={200: s.HoldSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        hold = selectors.hold_get_for(request.user, pk)
        data = parse(s.ReasonInputSerializer, request)
        hold = services.hold_dismiss(by=request.user, hold=hold, reason=data["reason"])
        return Response(s.HoldSerializer(selectors.hold_get_for(request.user, hold.pk)).data)


class IntermediaryListCreateView(PaymentsAPIView):
    @extend_schema(
        operation_id="intermediaries_list",
        tags=TAGS,
        responses={200: s.IntermediarySerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        require_read_all(request.user)
        qs = selectors.intermediary_list_for(request.user)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.IntermediarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="intermediaries_create",
        tags=TAGS,
        request=s.IntermediaryInputSerializer,
        responses={201: s.IntermediarySerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        data = parse(s.IntermediaryInputSerializer, request)
        intermediary = services.intermediary_create(by=request.user, **data)
        return Response(s.IntermediarySerializer(intermediary).data, status=CREATED)


class IntermediaryDetailView(PaymentsAPIView):
    @extend_schema(
        operation_id="intermediaries_retrieve",
        tags=TAGS,
        responses={200: s.IntermediarySerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        require_read_all(request.user)
        return Response(
            s.IntermediarySerializer(selectors.intermediary_get_for(request.user, pk)).data
        )

    @extend_schema(
        operation_id="intermediaries_partial_update",
        tags=TAGS,
        request=s.IntermediaryInputSerializer,
        responses={200: s.IntermediarySerializer, **ERROR_RESPONSES},
    )
    def patch(self, request: Request, pk: int) -> Response:
        if not can_manage(request.user):
            require_read_all(request.user)
        intermediary = selectors.intermediary_get_for(request.user, pk)
        data = parse(s.IntermediaryInputSerializer, request)
        intermediary = services.intermediary_update(
            by=request.user, intermediary=intermediary, **data
        )
        return Response(s.IntermediarySerializer(intermediary).data)


class PayoutImportView(PaymentsAPIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="payout_reports_import",
        tags=TAGS,
        request=s.PayoutImportInputSerializer,
        responses={
            200: OpenApiResponse(description="The preview (dry run)"),
            201: OpenApiResponse(description="Imported: the result with the report id"),
            **ERROR_RESPONSES,
        },
        description="Check (`dry_run`, the default) or import an intermediary's payout report "
        "(CSV as `data` or an uploaded `file`, with a column `mapping`).",
    )
    def post(self, request: Request, pk: int) -> Response:
        require_read_all(request.user)
        intermediary = selectors.intermediary_get_for(request.user, pk)
        data = parse(s.PayoutImportInputSerializer, request)
        upload = data.get("file")
        content: bytes | str = upload.read() if upload is not None else data.get("data", "")
        mapping = data.get("mapping")
        if mapping is None and request.content_type.startswith("multipart"):
            mapping = {
                k.removeprefix("mapping."): v
                for k, v in request.data.items()
                if k.startswith("mapping.")
            } or None
        result = services.payout_import(
            by=request.user,
            intermediary=intermediary,
            data=content,
            mapping=mapping,
            delimiter=data.get("delimiter") or None,
            number=data.get("number", ""),
            report_date=data.get("report_date"),
            file_name=upload.name if upload is not None else "",
            expected_net_total=data.get("expected_net_total") or None,
            dry_run=data.get("dry_run", True),
        )
        return Response(result.as_dict(), status=200 if result.dry_run else CREATED)


class PayoutReportDetailView(PaymentsAPIView):
    @extend_schema(
        operation_id="payout_reports_retrieve",
        tags=TAGS,
        responses={200: s.PayoutReportSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        require_read_all(request.user)
        report = selectors.report_get_for(request.user, pk)
        return Response(s.PayoutReportSerializer(report).data)


class PayoutReportPdfView(PaymentsAPIView):
    @extend_schema(
        operation_id="payout_reports_pdf",
        tags=TAGS,
        parameters=[OpenApiParameter("lang", OpenApiTypes.STR, enum=["uk", "en"])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="The agent's report (звіт агента / акт) of the payout report.",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        from urllib.parse import quote

        require_read_all(request.user)
        report = selectors.report_get_for(request.user, pk)
        name, data = pdf.payout_report_pdf(report, lang=request.query_params.get("lang", "uk"))
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
        return response


class PayoutLineListView(PaymentsAPIView):
    @extend_schema(
        operation_id="payout_lines_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=["matched", "unmatched", "dismissed"]
            ),
            OpenApiParameter("report", OpenApiTypes.INT),
            OpenApiParameter("intermediary", OpenApiTypes.INT),
            OpenApiParameter("order", OpenApiTypes.INT),
            OpenApiParameter("customer", OpenApiTypes.INT),
        ],
        responses={200: s.PayoutLineSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.line_list_for(request.user, filters_of(request))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.PayoutLineSerializer(page, many=True).data)


class PayoutLineMatchView(PaymentsAPIView):
    @extend_schema(
        operation_id="payout_lines_match",
        tags=TAGS,
        request=s.LineMatchInputSerializer,
        responses={200: s.PayoutLineSerializer, **ERROR_RESPONSES},
        description="Match a waiting line to an invoice or an order by hand.",
    )
    def post(self, request: Request, pk: int) -> Response:
        line = selectors.line_get_for(request.user, pk)
        data = parse(s.LineMatchInputSerializer, request)
        invoice = data.get("invoice")
        order = data.get("order")
        if invoice is not None:
            invoice = selectors.invoice_get_for(request.user, invoice)
        elif order is not None:
            order = Order.objects.filter(order_scope(request.user), pk=order).first() or order
        line = services.payout_line_match(by=request.user, line=line, invoice=invoice, order=order)
        return Response(s.PayoutLineSerializer(selectors.line_get_for(request.user, line.pk)).data)


class PayoutLineDismissView(PaymentsAPIView):
    @extend_schema(
        operation_id="payout_lines_dismiss",
        tags=TAGS,
        request=s.ReasonInputSerializer,
        responses={200: s.PayoutLineSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        line = selectors.line_get_for(request.user, pk)
        data = parse(s.ReasonInputSerializer, request)
        line = services.payout_line_dismiss(by=request.user, line=line, reason=data["reason"])
        return Response(s.PayoutLineSerializer(selectors.line_get_for(request.user, line.pk)).data)
