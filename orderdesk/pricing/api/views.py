"""Pricing API: contracts (scoped by the customer), price lists and their prices."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.api_views import (
    MasterDataViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    crud_schema,
    role_permission,
)
from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.customers.selectors import can_view_customers, customer_get_for

from .. import selectors, services
from ..files import csv_response, xlsx_response
from ..models import (
    Contract,
    ContractPrice,
    DiscountPolicy,
    PriceList,
    PriceListItem,
    RoleDiscountCap,
)
from ..services import transfer
from . import serializers as s

CanViewCustomers = role_permission(
    can_view_customers, gettext_lazy("Your role does not work with customers.")
)
CanViewPrices = role_permission(
    selectors.can_view_prices, gettext_lazy("Your role does not work with prices.")
)


class ContractFilter(django_filters.FilterSet):
    class Meta:
        model = Contract
        fields = ["customer", "active", "is_default", "currency"]


@crud_schema(
    output=s.ContractOut, input=s.ContractIn, update_input=s.ContractUpdateIn, tags=["contracts"]
)
class ContractViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Contracts of the customers the user sees (`contract_not_found` otherwise). Administrators
    and the head of the customer's team change them (`contract_edit_forbidden`)."""

    permission_classes = [permissions.IsAuthenticated, CanViewCustomers]
    output_serializer = s.ContractOut
    input_serializer = s.ContractIn
    create_service = staticmethod(services.contract_create)
    update_service = staticmethod(services.contract_update)
    update_kwarg = "contract"
    filterset_class = ContractFilter
    search_fields = ["number", "customer__short_name"]
    ordering_fields = ["date", "number"]

    def get_queryset(self):
        return selectors.contract_list_for(user=self.request.user)

    def get_object(self):
        return selectors.contract_get_for(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.ContractUpdateIn
        return super().get_serializer_class()

    def parse(self, partial=False):
        if partial:
            serializer = s.ContractUpdateIn(data=self.request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            return dict(serializer.validated_data)
        data = super().parse()
        pk = data.pop("customer")
        try:
            data["customer"] = customer_get_for(user=self.request.user, pk=pk)
        except NotFound:
            raise ValidationFailed(
                _("Unknown customer “%(v)s”.") % {"v": pk},
                code="customer_unknown",
                fields={"customer": pk},
            ) from None
        return data


class PriceListFilter(django_filters.FilterSet):
    class Meta:
        model = PriceList
        fields = ["active", "currency", "customer_groups"]


@crud_schema(output=s.PriceListOut, input=s.PriceListIn, tags=["prices"])
class PriceListViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Price lists (administrators change them: `master_data_forbidden`)."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]
    output_serializer = s.PriceListOut
    input_serializer = s.PriceListIn
    create_service = staticmethod(services.price_list_create)
    update_service = staticmethod(services.price_list_update)
    update_kwarg = "price_list"
    filterset_class = PriceListFilter
    search_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.price_list_list()


class PriceItemFilter(django_filters.FilterSet):
    on = django_filters.DateFilter(method="valid_on", label="valid on")

    class Meta:
        model = PriceListItem
        fields = ["product", "on"]

    def valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value).exclude(valid_to__lt=value)


@extend_schema(parameters=[OpenApiParameter("price_list_pk", int, OpenApiParameter.PATH)])
@crud_schema(output=s.PriceItemOut, input=s.PriceItemIn, tags=["prices"])
class PriceItemViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, mixins.DestroyModelMixin, MasterDataViewSet
):
    """The prices of a list (`/price-lists/{price_list_pk}/items/`): from a date, optionally
    from a quantity. Overlapping validity for the same product and break is refused."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]
    output_serializer = s.PriceItemOut
    input_serializer = s.PriceItemIn
    create_service = staticmethod(services.price_item_add)
    update_service = staticmethod(services.price_item_update)
    update_kwarg = "item"
    filterset_class = PriceItemFilter
    search_fields = ["product__sku", "product__name"]

    def price_list(self) -> PriceList:
        if not hasattr(self, "_price_list"):
            self._price_list = selectors.price_list_get(self.kwargs["price_list_pk"])
        return self._price_list

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PriceListItem.objects.none()
        return selectors.price_items(price_list=self.price_list())

    def get_object(self):
        return selectors.price_item_get(price_list=self.price_list(), pk=self.kwargs["pk"])

    def extra_input(self):
        return {"price_list": self.price_list()}

    def perform_destroy(self, instance):
        services.price_item_remove(by=self.request.user, item=instance)


# --- contract prices, discount policies, limits, budgets, import/export --------------------------


@extend_schema(parameters=[OpenApiParameter("contract_pk", int, OpenApiParameter.PATH)])
@crud_schema(output=s.ContractPriceOut, input=s.ContractPriceIn, tags=["contracts"])
class ContractPriceViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, mixins.DestroyModelMixin, MasterDataViewSet
):
    """A contract's individual prices (`/contracts/{contract_pk}/prices/`): they override every
    price list for the contract's orders. Changed by whoever may change the contract."""

    permission_classes = [permissions.IsAuthenticated, CanViewCustomers]
    output_serializer = s.ContractPriceOut
    input_serializer = s.ContractPriceIn
    create_service = staticmethod(services.contract_price_add)
    update_service = staticmethod(services.contract_price_update)
    update_kwarg = "item"
    search_fields = ["product__sku", "product__name"]

    def contract(self) -> Contract:
        if not hasattr(self, "_contract"):
            self._contract = selectors.contract_get_for(
                user=self.request.user, pk=self.kwargs["contract_pk"]
            )
        return self._contract

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContractPrice.objects.none()
        return selectors.contract_prices(contract=self.contract())

    def get_object(self):
        return selectors.contract_price_get(contract=self.contract(), pk=self.kwargs["pk"])

    def extra_input(self):
        return {"contract": self.contract()}

    def perform_destroy(self, instance):
        services.contract_price_remove(by=self.request.user, item=instance)


class DiscountPolicyFilter(django_filters.FilterSet):
    class Meta:
        model = DiscountPolicy
        fields = ["kind", "active", "customer_group", "product_group", "stacking"]


@crud_schema(output=s.DiscountPolicyOut, input=s.DiscountPolicyIn, tags=["prices"])
class DiscountPolicyViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Automatic discounts (administrators change them: `master_data_forbidden`). Priority and
    stacking: see docs/apps/pricing.md."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]
    output_serializer = s.DiscountPolicyOut
    input_serializer = s.DiscountPolicyIn
    create_service = staticmethod(services.discount_policy_create)
    update_service = staticmethod(services.discount_policy_update)
    update_kwarg = "policy"
    filterset_class = DiscountPolicyFilter
    search_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.discount_policy_list()


class PricingLimitsView(APIView):
    """The order limits and the price floor (`/pricing-limits/`); administrators change them."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]

    @extend_schema(tags=["prices"], responses={200: s.PricingLimitsSerializer, **ERROR_RESPONSES})
    def get(self, request):
        return Response(s.PricingLimitsSerializer(services.pricing_limits()).data)

    @extend_schema(
        tags=["prices"],
        request=s.PricingLimitsIn,
        responses={200: s.PricingLimitsSerializer, **ERROR_RESPONSES},
    )
    def patch(self, request):
        data = s.PricingLimitsIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        limits = services.pricing_limits_update(by=request.user, **data.validated_data)
        return Response(s.PricingLimitsSerializer(limits).data)


class RoleCapsView(APIView):
    """The manual discount cap of each role (`/discount-caps/`)."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]

    def answer(self):
        caps = {c.role: format(c.max_manual_discount, "f") for c in RoleDiscountCap.objects.all()}
        return Response({"caps": caps})

    @extend_schema(tags=["prices"], responses={200: s.RoleCapsSerializer, **ERROR_RESPONSES})
    def get(self, request):
        return self.answer()

    @extend_schema(
        tags=["prices"],
        request=s.RoleCapsSerializer,
        responses={200: s.RoleCapsSerializer, **ERROR_RESPONSES},
    )
    def put(self, request):
        data = s.RoleCapsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.role_caps_set(by=request.user, caps=data.validated_data["caps"])
        return self.answer()


@crud_schema(output=s.DiscountBudgetOut, input=s.DiscountBudgetIn, tags=["prices"])
class DiscountBudgetViewSet(
    ServiceCreateMixin, ServiceUpdateMixin, mixins.DestroyModelMixin, MasterDataViewSet
):
    """Discount budgets of managers per period (base currency); administrators change them."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]
    output_serializer = s.DiscountBudgetOut
    input_serializer = s.DiscountBudgetIn
    create_service = staticmethod(services.discount_budget_create)
    update_service = staticmethod(services.discount_budget_update)
    update_kwarg = "budget"
    filterset_fields = ["manager"]

    def get_queryset(self):
        return selectors.budget_list()

    def perform_destroy(self, instance):
        services.discount_budget_remove(by=self.request.user, budget=instance)


def import_answer(result) -> dict:
    imp = result.price_import
    return {
        "id": imp.pk,
        "file_name": imp.file_name,
        "mode": imp.mode,
        "status": imp.status,
        "rows_total": len(result.rows),
        "error_rows": result.error_rows,
        "errors": [e.as_dict() for e in result.errors[: transfer.SHOWN_ERRORS]],
        "preview": [r.as_dict() for r in result.rows[:20]],
        "added": result.added,
        "removed": result.removed,
    }


class PriceImportView(APIView):
    """`POST /price-lists/{id}/imports/` (multipart `file`, `mode`): the dry run. Nothing is
    written but the upload; the answer lists every row error (row, field, code) and the id to
    apply. File errors answer 400 with their code (`file_encoding_invalid`, ...)."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=["prices"],
        request={"multipart/form-data": s.PriceImportIn},
        responses={201: s.PriceImportOut, **ERROR_RESPONSES},
    )
    def post(self, request, price_list_pk: int):
        price_list = selectors.price_list_get(price_list_pk)
        data = s.PriceImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = services.price_import_preview(
            by=request.user,
            price_list=price_list,
            file=upload,
            file_name=upload.name,
            mode=data.validated_data["mode"],
        )
        return Response(import_answer(result), status=status.HTTP_201_CREATED)


class PriceImportApplyView(APIView):
    """`POST /price-lists/{id}/imports/{import_id}/apply/`: all rows or none
    (`import_has_errors`, `import_already_applied`)."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]

    @extend_schema(
        tags=["prices"], request=None, responses={200: s.PriceImportOut, **ERROR_RESPONSES}
    )
    def post(self, request, price_list_pk: int, pk: int):
        price_list = selectors.price_list_get(price_list_pk)
        price_import = selectors.price_import_get(price_list=price_list, pk=pk)
        result = services.price_import_apply(by=request.user, price_import=price_import)
        return Response(import_answer(result))


class PriceExportView(APIView):
    """`GET /price-lists/{id}/export/?format=csv|xlsx[&on=2026-11-01]`: the list's own prices in
    the import's columns, streamed."""

    permission_classes = [permissions.IsAuthenticated, CanViewPrices]

    @extend_schema(
        tags=["prices"],
        parameters=[
            OpenApiParameter("file_format", str, enum=["csv", "xlsx"]),
            OpenApiParameter("on", OpenApiTypes.DATE),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
    )
    def get(self, request, price_list_pk: int):
        price_list = selectors.price_list_get(price_list_pk)
        fmt = request.query_params.get("file_format", "csv")
        on = request.query_params.get("on")
        try:
            on = dt.date.fromisoformat(on) if on else None
        except ValueError:
            raise ValidationFailed(
                _("Not a date: %(v)s.") % {"v": on}, code="date_invalid", fields={"on": on}
            ) from None
        if fmt == "xlsx":
            return xlsx_response(price_list, on=on)
        if fmt != "csv":
            raise ValidationFailed(
                _("Export as csv or xlsx."),
                code="export_format_invalid",
                fields={"file_format": fmt},
            )
        return csv_response(price_list, on=on)
