"""Warehouse REST API: stock, stock moves, reservations, releases, shipments, line
cancellations. Lists go through the selectors (what the user may not see is absent; an
order named in a POST that the user may not see is 404), writes through one service each."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from orderdesk.catalog.models import StockBalance
from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.errors import NotFound, PermissionRefused
from orderdesk.orders.api.views import parse
from orderdesk.orders.models import Order

from .. import selectors, services
from ..models import LineCancellation, Release, Reservation, Shipment, StockMove
from ..permissions import can_ship
from ..services._common import visible_order_pk
from . import serializers as s

TAGS = ["warehouse"]
ORDER_PARAM = OpenApiParameter("order", OpenApiTypes.INT)


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() else None


class WarehouseAPIView(GenericAPIView):
    def page(self, qs, serializer):
        rows = self.paginate_queryset(qs)
        context = {"request": self.request}
        return self.get_paginated_response(serializer(rows, many=True, context=context).data)


class StockView(WarehouseAPIView):
    queryset = StockBalance.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="stock_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("warehouse", OpenApiTypes.INT),
            OpenApiParameter("q", OpenApiTypes.STR),
        ],
        responses={200: s.StockSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.stock_list(
            warehouse=_int(request, "warehouse"), q=request.query_params.get("q", "")
        )
        return self.page(qs, s.StockSerializer)


class StockMoveView(WarehouseAPIView):
    queryset = StockMove.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="stock_moves_list",
        tags=TAGS,
        parameters=[
            OpenApiParameter("warehouse", OpenApiTypes.INT),
            OpenApiParameter("product", OpenApiTypes.INT),
        ],
        responses={200: s.StockMoveSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.stock_moves(
            warehouse=_int(request, "warehouse"), product=_int(request, "product")
        )
        return self.page(qs, s.StockMoveSerializer)

    @extend_schema(
        operation_id="stock_moves_create",
        tags=TAGS,
        request=s.StockMoveInputSerializer,
        responses={201: s.StockMoveSerializer, **ERROR_RESPONSES},
        description="A receipt (positive) or an adjustment (signed, with a comment; never "
        "below reserved: `stock_below_reserved`).",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.StockMoveInputSerializer, request)
        action = services.stock_receive if data["kind"] == "receipt" else services.stock_adjust
        move = action(
            by=request.user,
            product=data["product"],
            warehouse=data["warehouse"],
            quantity=data["quantity"],
            comment=data["comment"],
        )
        return Response(s.StockMoveSerializer(move).data, status=status.HTTP_201_CREATED)


class ReservationView(WarehouseAPIView):
    queryset = Reservation.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="reservations_list",
        tags=TAGS,
        parameters=[ORDER_PARAM],
        responses={200: s.ReservationSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.reservations_for(request.user, order=_int(request, "order"))
        return self.page(qs, s.ReservationSerializer)

    @extend_schema(
        operation_id="reservations_create",
        tags=TAGS,
        request=s.ReserveInputSerializer,
        responses={200: s.ReservationSerializer(many=True), **ERROR_RESPONSES},
        description="Reserve what the order's open lines lack, as far as stock allows.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.ReserveInputSerializer, request)
        pk = visible_order_pk(request.user, data["order"])
        services.order_reserve(by=request.user, order=pk)
        qs = selectors.reservations_for(request.user, order=pk)
        return Response(s.ReservationSerializer(qs, many=True).data)


class ReleaseView(WarehouseAPIView):
    queryset = Release.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="releases_list",
        tags=TAGS,
        parameters=[ORDER_PARAM],
        responses={200: s.ReleaseSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.releases_for(request.user, order=_int(request, "order"))
        return self.page(qs, s.ReleaseSerializer)

    @extend_schema(
        operation_id="releases_create",
        tags=TAGS,
        request=s.ReleaseInputSerializer,
        responses={201: s.ReleaseSerializer, **ERROR_RESPONSES},
        description="Release an order by hand (head of sales, administrator); `up_to` "
        "limits it to the dated parts due by then.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.ReleaseInputSerializer, request)
        pk = visible_order_pk(request.user, data["order"])
        release = services.order_release(by=request.user, order=pk, up_to=data["up_to"])
        return Response(s.ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)


class ShipmentView(WarehouseAPIView):
    queryset = Shipment.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="shipments_list",
        tags=TAGS,
        parameters=[ORDER_PARAM],
        responses={200: s.ShipmentSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.shipments_for(request.user, order=_int(request, "order"))
        return self.page(qs, s.ShipmentSerializer)

    @extend_schema(
        operation_id="shipments_create",
        tags=TAGS,
        request=s.ShipmentInputSerializer,
        responses={201: s.ShipmentSerializer, **ERROR_RESPONSES},
        description="Ship released quantities; stock moves and the delivery note and "
        "invoice are made in the same transaction.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.ShipmentInputSerializer, request)
        shipment = services.shipment_create(
            by=request.user,
            order=data["order"],
            lines=[(row["line"], row["quantity"]) for row in data["lines"]],
            shipped_on=data["shipped_on"],
            comment=data["comment"],
        )
        shipment = selectors.shipments_for(request.user).get(pk=shipment.pk)
        return Response(
            s.ShipmentSerializer(shipment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ShipmentDetailView(WarehouseAPIView):
    queryset = Shipment.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="shipments_retrieve",
        tags=TAGS,
        responses={200: s.ShipmentSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        shipment = selectors.shipments_for(request.user).filter(pk=pk).first()
        if shipment is None:
            raise NotFound(_("No such shipment."), code="shipment_not_found")
        return Response(s.ShipmentSerializer(shipment, context={"request": request}).data)


class LineCancellationView(WarehouseAPIView):
    queryset = LineCancellation.objects.none()  # for the schema only; reads go through selectors

    @extend_schema(
        operation_id="line_cancellations_list",
        tags=TAGS,
        parameters=[ORDER_PARAM, OpenApiParameter("reason", OpenApiTypes.STR)],
        responses={200: s.LineCancellationSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.cancellations_for(
            request.user,
            order=_int(request, "order"),
            reason=request.query_params.get("reason") or None,
        )
        return self.page(qs, s.LineCancellationSerializer)

    @extend_schema(
        operation_id="line_cancellations_create",
        tags=TAGS,
        request=s.LineCancellationInputSerializer,
        responses={201: s.LineCancellationSerializer, **ERROR_RESPONSES},
        description="Cancel a line's quantity (empty: its whole remainder) with a reason.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.LineCancellationInputSerializer, request)
        cancellation = services.line_cancel(
            by=request.user,
            order=data["order"],
            line=data["line"],
            quantity=data["quantity"],
            reason=data["reason"],
            comment=data["comment"],
        )
        return Response(
            s.LineCancellationSerializer(cancellation).data, status=status.HTTP_201_CREATED
        )


class PickListView(WarehouseAPIView):
    queryset = Order.objects.none()  # for the schema only; reads go through selectors

    def _order(self, request: Request, order: int) -> Order:
        if not can_ship(request.user):
            raise PermissionRefused(
                _("Only the warehouse picks and ships."), code="shipment_not_permitted"
            )
        pk = visible_order_pk(request.user, order)
        return Order.objects.select_related("warehouse").get(pk=pk)

    @extend_schema(
        operation_id="pick_lists_retrieve",
        tags=TAGS,
        responses={200: s.PickListSerializer, **ERROR_RESPONSES},
        description="What to gather for the order: per line, released and not yet shipped, "
        "in the order's warehouse (the warehouse, accountants, administrators).",
    )
    def get(self, request: Request, order: int) -> Response:
        obj = self._order(request, order)
        data = {"order": obj, "lines": selectors.pick_list(obj)}
        return Response(s.PickListSerializer(data).data)

    @extend_schema(
        operation_id="pick_lists_picked",
        tags=TAGS,
        request=None,
        responses={201: s.PickListSerializer, **ERROR_RESPONSES},
        description="Mark the pick list gathered (a `fulfillment.order.picked` event).",
    )
    def post(self, request: Request, order: int) -> Response:
        obj = self._order(request, order)
        rows = services.order_mark_picked(by=request.user, order=obj.pk)
        data = {"order": obj, "lines": rows}
        return Response(s.PickListSerializer(data).data, status=status.HTTP_201_CREATED)
