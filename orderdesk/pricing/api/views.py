"""Pricing API: contracts (scoped by the customer), price lists and their prices."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions

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
from ..models import Contract, PriceList, PriceListItem
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
