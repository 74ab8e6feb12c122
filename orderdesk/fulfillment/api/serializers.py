"""Warehouse API shapes: output of stock, moves, reservations, releases, shipments and
cancellations; input of the actions."""

from __future__ import annotations

from rest_framework import serializers

from orderdesk.billing.permissions import can_view_billing

from ..models import LineCancellation, Release, ReleaseLine, Reservation, Shipment, StockMove

QTY = {"max_digits": 18, "decimal_places": 3}


class StockSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    unit = serializers.CharField(source="product.unit")
    warehouse = serializers.IntegerField(source="warehouse_id")
    warehouse_code = serializers.CharField(source="warehouse.code")
    on_hand = serializers.DecimalField(**QTY)
    reserved = serializers.DecimalField(**QTY)
    available = serializers.DecimalField(**QTY)


class StockMoveSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMove
        fields = [
            "id",
            "product",
            "warehouse",
            "kind",
            "quantity",
            "on_hand_after",
            "comment",
            "shipment",
            "created_by",
            "created_at",
        ]


class StockMoveInputSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    warehouse = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["receipt", "adjustment"])
    quantity = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ReservationSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number")
    position = serializers.IntegerField(source="line.position")

    class Meta:
        model = Reservation
        fields = [
            "id",
            "order",
            "order_number",
            "line",
            "position",
            "product",
            "warehouse",
            "quantity",
            "updated_at",
        ]


class ReserveInputSerializer(serializers.Serializer):
    order = serializers.IntegerField()


class ReleaseLineSerializer(serializers.ModelSerializer):
    position = serializers.IntegerField(source="line.position")

    class Meta:
        model = ReleaseLine
        fields = ["line", "position", "schedule_entry", "date", "quantity"]


class ReleaseSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number")
    lines = ReleaseLineSerializer(many=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "order",
            "order_number",
            "due_on",
            "automatic",
            "released_by",
            "released_at",
            "lines",
        ]


class ReleaseInputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    up_to = serializers.DateField(required=False, allow_null=True, default=None)


class ShipmentLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line_id")
    position = serializers.IntegerField(source="line.position")
    quantity = serializers.DecimalField(**QTY)
    from_reservation = serializers.DecimalField(**QTY)
    unit_cost = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)


class ShipmentSerializer(serializers.ModelSerializer):
    """A shipment; `invoice` and `invoice_number` are null for a user who may not see
    invoices (the warehouse sees the delivery note, not the invoice)."""

    order_number = serializers.CharField(source="order.number")
    lines = ShipmentLineSerializer(many=True)
    delivery_note_number = serializers.CharField(
        source="delivery_note.number", default=None, allow_null=True
    )
    invoice_number = serializers.CharField(source="invoice.number", default=None, allow_null=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "number",
            "order",
            "order_number",
            "shipped_on",
            "comment",
            "delivery_note",
            "delivery_note_number",
            "invoice",
            "invoice_number",
            "created_by",
            "created_at",
            "lines",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_view_billing(request.user, "invoice"):
            data["invoice"] = data["invoice_number"] = None
        return data


class ShipmentLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    quantity = serializers.CharField()


class ShipmentInputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    shipped_on = serializers.DateField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    lines = ShipmentLineInputSerializer(many=True)


class LineCancellationSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number")
    position = serializers.IntegerField(source="line.position")
    reason_code = serializers.CharField(source="reason.code")

    class Meta:
        model = LineCancellation
        fields = [
            "id",
            "order",
            "order_number",
            "line",
            "position",
            "quantity",
            "reason",
            "reason_code",
            "comment",
            "reservation_returned",
            "credit_note_id",
            "created_by",
            "created_at",
        ]


class LineCancellationInputSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    line = serializers.IntegerField()
    quantity = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, default=None
    )
    reason = serializers.CharField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PickLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line.pk")
    position = serializers.IntegerField(source="line.position")
    sku = serializers.CharField(source="line.product.sku")
    description = serializers.CharField(source="line.description")
    unit = serializers.CharField(source="line.unit")
    quantity = serializers.DecimalField(source="to_ship", max_digits=18, decimal_places=3)
    reserved = serializers.DecimalField(source="reserved_here", max_digits=18, decimal_places=3)


class PickListSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order.pk")
    number = serializers.CharField(source="order.number")
    warehouse = serializers.CharField(source="order.warehouse.code")
    lines = PickLineSerializer(many=True)
