"""Reports REST API: the same reports, filters and errors as the pages.

`GET /api/v1/reports/<name>/?<filters>` answers the columns, a page of rows (`page`,
`page_size` up to 5000), the totals and each row's drill-down link; `.../export/<fmt>/` the
CSV, XLSX or PDF. Saved variants live under `/api/v1/reports/variants/`; `variant=<id>` on a
report applies one (request parameters on top). Refusals are {"code", "detail", "fields"}:
`filter_unknown`, `filter_invalid`, `date_range_reversed`, `buckets_out_of_order`,
`group_by_invalid`, `sort_invalid`, `variant_not_found`, `report_not_permitted`,
`pdf_unavailable`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.errors import PermissionRefused, ValidationFailed
from orderdesk.core.paging import MAX_PAGE

from .. import exports, services
from ..choices import SLUG_OF, ReportName
from ..models import SavedReport
from ..permissions import can_see_dashboards, require_reports
from ..routers import replica_reads
from ..selectors import REPORTS, params_for, report_for, variant_get_for, variants_for
from ..selectors.dashboards import dashboard

TAGS = ["reports"]
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "params"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _page(request: Request) -> tuple[int, int]:
    try:
        page = int(request.query_params.get("page") or 1)
        size = int(request.query_params.get("page_size") or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise ValidationFailed(
            _("page and page_size are whole numbers."), code="filter_invalid"
        ) from None
    if not 1 <= page <= MAX_PAGE or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            _("page from 1 to %(p)s, page_size from 1 to %(m)s.")
            % {"p": MAX_PAGE, "m": MAX_PAGE_SIZE},
            code="filter_invalid",
            fields={"page": str(page), "page_size": str(size)},
        )
    return page, size


def _describe(report) -> dict[str, Any]:
    return {
        "name": report.name,
        "slug": report.slug,
        "title": str(report.title),
        "description": str(report.description),
        "filters": [p.name for p in report.spec() if p.name not in ("group_by", "sort")],
        "group_by": list(report.dimensions),
        "default_group_by": list(report.default_group_by),
    }


class ReportListView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="reports_list",
        summary="The reports the user may run",
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        require_reports(request.user)
        return Response({"results": [_describe(r) for r in REPORTS.values()]})


FILTER_PARAMS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=text)
    for name, text in (
        ("group_by", "comma list of groupings the report offers"),
        ("sort", "comma list of column keys, '-' for descending"),
        ("date_from", "YYYY-MM-DD"),
        ("date_to", "YYYY-MM-DD"),
        ("as_of", "aging: YYYY-MM-DD (past dates are replayed)"),
        ("buckets", "aging: ascending upper bounds in days, e.g. 30,60,90"),
        ("variant", "a saved variant's id"),
        ("page", "page of rows, from 1"),
        ("page_size", f"rows per page, up to {MAX_PAGE_SIZE}"),
    )
]


class ReportView(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="report_run",
        summary="Run a report",
        parameters=FILTER_PARAMS,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request: Request, name: str) -> Response:
        report = report_for(name)
        params, variant = params_for(user=request.user, report=report, raw=request.query_params)
        page, size = _page(request)
        with replica_reads():
            rows = report.rows(request.user, params, limit=size + 1, offset=(page - 1) * size)
            totals = report.totals(request.user, params)
        more = len(rows) > size
        rows = rows[:size]
        base = request.build_absolute_uri("/")[:-1]
        for row in rows:
            row["drilldown"] = base + report.drill_url(row, params)
        return Response(
            {
                "report": report.name,
                "params": params.query,
                "variant": variant.pk if variant else None,
                "columns": [
                    {"key": c.key, "label": str(c.label), "kind": c.kind}
                    for c in report.columns(params)
                ],
                "rows": jsonable(rows),
                "totals": jsonable(totals),
                "page": page,
                "page_size": size,
                "has_more": more,
            }
        )


class ReportExportView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Export a report (csv, xlsx, pdf)",
        parameters=FILTER_PARAMS[:-2],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            **ERROR_RESPONSES,
            503: OpenApiResponse(description="PDF printing unavailable (`pdf_unavailable`)"),
        },
    )
    def get(self, request: Request, name: str, fmt: str):
        report = report_for(name)
        params, _variant = params_for(user=request.user, report=report, raw=request.query_params)
        return exports.export_response(report, request.user, params, fmt)


class VariantSerializer(serializers.ModelSerializer):
    report = serializers.ChoiceField(choices=ReportName.choices)
    shared_role = serializers.CharField(required=False, allow_blank=True, default="")
    params = serializers.DictField(required=False, default=dict)
    owner = serializers.CharField(source="owner.username", read_only=True)
    mine = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedReport
        fields = [
            "id",
            "report",
            "name",
            "params",
            "visibility",
            "shared_role",
            "owner",
            "mine",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["visibility", "created_at", "updated_at"]

    def get_mine(self, obj: SavedReport) -> bool:
        return obj.owner_id == self.context["request"].user.pk

    def get_url(self, obj: SavedReport) -> str:
        return f"/api/v1/reports/{SLUG_OF[obj.report]}/?variant={obj.pk}"


class VariantListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Saved report variants the user may use",
        responses={200: VariantSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        require_reports(request.user)
        qs = variants_for(request.user, request.query_params.get("report") or None)
        data = VariantSerializer(qs, many=True, context={"request": request}).data
        return Response({"results": data})

    @extend_schema(
        tags=TAGS,
        summary="Save a report variant",
        request=VariantSerializer,
        responses={201: VariantSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        s = VariantSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        variant = services.variant_save(
            by=request.user,
            report=s.validated_data["report"],
            name=s.validated_data["name"],
            params=s.validated_data.get("params") or {},
            shared_role=s.validated_data.get("shared_role") or "",
        )
        return Response(
            VariantSerializer(variant, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class VariantDetailView(APIView):
    @extend_schema(
        tags=TAGS, summary="A saved variant", responses={200: VariantSerializer, **ERROR_RESPONSES}
    )
    def get(self, request: Request, pk: int) -> Response:
        variant = variant_get_for(user=request.user, pk=pk)
        return Response(VariantSerializer(variant, context={"request": request}).data)

    @extend_schema(
        tags=TAGS,
        summary="Change an own variant",
        request=VariantSerializer,
        responses={200: VariantSerializer, **ERROR_RESPONSES},
    )
    def put(self, request: Request, pk: int) -> Response:
        variant = variant_get_for(user=request.user, pk=pk)
        s = VariantSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        variant = services.variant_save(
            by=request.user,
            report=variant.report,
            name=s.validated_data["name"],
            params=s.validated_data.get("params") or {},
            shared_role=s.validated_data.get("shared_role") or "",
            variant=variant,
        )
        return Response(VariantSerializer(variant, context={"request": request}).data)

    @extend_schema(
        tags=TAGS, summary="Delete an own variant", responses={204: None, **ERROR_RESPONSES}
    )
    def delete(self, request: Request, pk: int) -> Response:
        variant = variant_get_for(user=request.user, pk=pk)
        services.variant_delete(by=request.user, variant=variant)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DashboardView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="The dashboards of the user's roles",
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        if not can_see_dashboards(request.user):
            raise PermissionRefused(_("No reports for your role."), code="report_not_permitted")
        with replica_reads():
            board = dashboard(request.user)
        return Response(jsonable(board))
