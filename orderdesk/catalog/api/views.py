"""Catalogue API: products (with stock per warehouse), product groups, warehouses."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.api_views import (
    MasterDataViewSet,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    crud_schema,
)

from .. import selectors, services
from ..models import Product
from . import serializers as s


class ProductFilter(django_filters.FilterSet):
    class Meta:
        model = Product
        fields = ["group", "active"]


@crud_schema(output=s.ProductOut, input=s.ProductIn, tags=["catalogue"])
class ProductViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    """Products: `?search=` by SKU or name, `?group=`, `?active=`. Every signed-in user reads;
    administrators change (`master_data_forbidden`)."""

    output_serializer = s.ProductOut
    input_serializer = s.ProductIn
    create_service = staticmethod(services.product_create)
    update_service = staticmethod(services.product_update)
    update_kwarg = "product"
    filterset_class = ProductFilter
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.product_list()
        return selectors.product_list().prefetch_related(selectors.stock_prefetch())

    def answer(self, obj, code=status.HTTP_200_OK):
        return Response(s.ProductDetailOut(obj).data, status=code)

    @extend_schema(tags=["catalogue"], responses={200: s.ProductDetailOut, **ERROR_RESPONSES})
    def retrieve(self, request, *args, **kwargs):
        return self.answer(self.get_object())


@crud_schema(output=s.ProductGroupOut, input=s.ProductGroupIn, tags=["catalogue"])
class ProductGroupViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    output_serializer = s.ProductGroupOut
    input_serializer = s.ProductGroupIn
    create_service = staticmethod(services.product_group_create)
    update_service = staticmethod(services.product_group_update)
    update_kwarg = "group"
    queryset = selectors.product_group_list()
    filterset_fields = ["parent"]
    search_fields = ["code", "name"]


@crud_schema(output=s.WarehouseOut, input=s.WarehouseIn, tags=["catalogue"])
class WarehouseViewSet(ServiceCreateMixin, ServiceUpdateMixin, MasterDataViewSet):
    output_serializer = s.WarehouseOut
    input_serializer = s.WarehouseIn
    create_service = staticmethod(services.warehouse_create)
    update_service = staticmethod(services.warehouse_update)
    update_kwarg = "warehouse"
    queryset = selectors.warehouse_list()
    filterset_fields = ["active"]
    search_fields = ["code", "name"]
