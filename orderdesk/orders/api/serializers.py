"""Order API shapes: input serializers check types and sizes, output serializers render.

Input serializers only parse: business rules (a quantity above zero, a discount within
0-100, a customer one sells to, a term one may change) are the services' and come back as
domain errors with their own codes. Decimal fields carry the digits of the model columns,
so a value that would not fit is refused here (`validation_error`, field code
`max_digits` / `max_decimal_places` / `max_whole_digits`) instead of failing in the
database. A key the serializer does not know is refused too (field code `unknown_field`):
a misspelt term must not be dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from ..choices import FulfillmentStatus, OrderAction, OrderStatus, PaymentStatus
from ..models import CancellationReason, Order, OrderLine, OrderTemplate, OrderTemplateLine
from ..services import LineInput

MAX_ID = 2**63 - 1
MAX_LINES = 1000


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=3, **kwargs)


def _price(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, **kwargs)


def _discount(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, **kwargs)


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare (field code `unknown_field`)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(str(k) for k in data if k not in known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        k: [ErrorDetail(str(_("Unknown field.")), code="unknown_field")]
                        for k in unknown
                    }
                )
        return super().to_internal_value(data)


# --- input -------------------------------------------------------------------------------------


class ScheduleEntryInputSerializer(StrictInputSerializer):
    date = serializers.DateField()
    quantity = _quantity()


class LineChangesInputSerializer(StrictInputSerializer):
    """Changes to one line; only the keys sent are changed."""

    quantity = _quantity(required=False)
    unit_price = _price(required=False)
    discount_percent = _discount(required=False)
    requested_delivery_date = serializers.DateField(required=False, allow_null=True)
    schedule = ScheduleEntryInputSerializer(many=True, required=False, max_length=MAX_LINES)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "schedule" in values:
            values["schedule"] = [(e["date"], e["quantity"]) for e in values["schedule"]]
        return values


class LineInputSerializer(StrictInputSerializer):
    """A new line: the product and quantity; price and discount default to the standard."""

    product = _id()
    quantity = _quantity()
    unit_price = _price(required=False, allow_null=True)
    discount_percent = _discount(
        required=False,
        allow_null=True,
        help_text=_("The manual discount; automatic ones come from the discount policies."),
    )
    requested_delivery_date = serializers.DateField(required=False, allow_null=True)
    schedule = ScheduleEntryInputSerializer(many=True, required=False, max_length=MAX_LINES)

    def to_internal_value(self, data) -> LineInput:
        values = super().to_internal_value(data)
        return LineInput(
            product=values["product"],
            quantity=values["quantity"],
            unit_price=values.get("unit_price"),
            discount_percent=values.get("discount_percent"),
            requested_delivery_date=values.get("requested_delivery_date"),
            schedule=[(e["date"], e["quantity"]) for e in values.get("schedule") or []],
        )


class LineUpdateInputSerializer(LineChangesInputSerializer):
    """One line's changes inside an amendment, naming the line by `id`."""

    id = _id()


class OrderHeaderInputSerializer(StrictInputSerializer):
    """Header values; a key that is not sent keeps the value of the contract or the order."""

    contract = _id(required=False, allow_null=True)
    order_date = serializers.DateField(required=False)
    requested_delivery_date = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(required=False, max_length=3)
    price_list = _id(required=False, allow_null=True)
    payment_terms = _id(required=False)
    payment_method = _id(required=False)
    delivery_method = _id(required=False, allow_null=True)
    delivery_terms = serializers.CharField(required=False, allow_blank=True, max_length=128)
    delivery_address = serializers.CharField(required=False, allow_blank=True, max_length=255)
    warehouse = _id(required=False)
    manager = _id(required=False)
    customer_reference = serializers.CharField(required=False, allow_blank=True, max_length=64)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    partial_shipment_allowed = serializers.BooleanField(required=False)
    discount_percent = _discount(
        required=False,
        help_text=_(
            "The order-level discount, taken off every line after its automatic and manual "
            "discounts (the `discount` right)."
        ),
    )


class OrderCreateInputSerializer(OrderHeaderInputSerializer):
    """A new order; `confirm` or `submit` moves it on in the same transaction (one request
    for an e-shop): the outcome is the one of `POST /orders/{id}/confirm/` (or `submit/`),
    and a refusal of the move leaves no draft behind."""

    customer = _id()
    lines = LineInputSerializer(many=True, required=False, max_length=MAX_LINES)
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Confirm the order at once, as POST /orders/{id}/confirm/ does: confirmed, "
            "pending_approval when approval rules fire, or credit_hold."
        ),
    )
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Submit the order at once, as POST /orders/{id}/submit/ does."),
    )

    def validate(self, attrs):
        if attrs.get("confirm") and attrs.get("submit"):
            raise serializers.ValidationError(
                {
                    "submit": ErrorDetail(
                        str(_("Send either confirm or submit, not both.")),
                        code="confirm_or_submit",
                    )
                }
            )
        return attrs


class OrderCancelInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=32,
        help_text=_("Code (or id) of a cancellation reason."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class OrderAmendInputSerializer(StrictInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    header = OrderHeaderInputSerializer(required=False)
    add = LineInputSerializer(many=True, required=False, max_length=MAX_LINES)
    update = LineUpdateInputSerializer(many=True, required=False, max_length=MAX_LINES)
    remove = serializers.ListField(child=_id(), required=False, max_length=MAX_LINES)

    def validate_update(self, value):
        ids = [change["id"] for change in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(
                _("A line appears twice in `update`."), code="line_repeated"
            )
        return value


class OrderCopyInputSerializer(StrictInputSerializer):
    customer = _id(required=False, help_text=_("Another customer; the same one if omitted."))


class OrderTemplateLineInputSerializer(StrictInputSerializer):
    product = _id()
    quantity = _quantity()
    discount_percent = _discount(required=False, allow_null=True)


class OrderTemplateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)
    shared = serializers.BooleanField(required=False, default=False)
    payment_terms = _id(required=False, allow_null=True)
    payment_method = _id(required=False, allow_null=True)
    delivery_method = _id(required=False, allow_null=True)
    partial_shipment_allowed = serializers.BooleanField(required=False, default=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    lines = OrderTemplateLineInputSerializer(
        many=True, required=False, default=list, max_length=MAX_LINES
    )

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(
                product=li["product"],
                quantity=li["quantity"],
                discount_percent=li.get("discount_percent"),
            )
            for li in self.validated_data["lines"]
        ]

    def terms(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.validated_data.items() if k not in ("name", "shared", "lines")
        }


class OrderFromTemplateInputSerializer(StrictInputSerializer):
    customer = _id()
    contract = _id(required=False, allow_null=True)


class SaveAsTemplateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)
    shared = serializers.BooleanField(required=False, default=False)


# --- output ------------------------------------------------------------------------------------


class OrderRefSerializer(serializers.Serializer):
    """A related record: its id and the name people know it by."""

    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class OrderUserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class OrderProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ScheduleEntrySerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    quantity = _quantity(read_only=True)


class OrderLineSerializer(serializers.ModelSerializer):
    """A line: `price_source` says where the price came from ("contract 15/2026, individual
    price", "list Wholesale from 2026-11-01", "entered by hand") in the request's language,
    `price_origin` the same as data (`kind`: contract, list, derived, cost_plus, manual; null
    for lines entered before it existed); `discount_percent` is the effective discount made
    of `auto_discount_percent` (policies), `manual_discount_percent` and the order's
    discount, explained in `discount_source` (in the request's language) and
    `discount_breakdown` (data)."""

    product = OrderProductRefSerializer(read_only=True)
    price_source = serializers.CharField(read_only=True)
    price_origin = serializers.JSONField(read_only=True)
    discount_source = serializers.CharField(read_only=True)
    schedule = ScheduleEntrySerializer(many=True, read_only=True)
    discount_breakdown = serializers.JSONField(read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "position",
            "product",
            "description",
            "unit",
            "quantity",
            "unit_price",
            "list_price",
            "price_source",
            "price_origin",
            "discount_percent",
            "auto_discount_percent",
            "manual_discount_percent",
            "discount_source",
            "discount_breakdown",
            "vat_rate",
            "net_amount",
            "vat_amount",
            "gross_amount",
            "requested_delivery_date",
            "shipped_quantity",
            "cancelled_quantity",
            "schedule",
        ]
        read_only_fields = fields


class OrderTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    net_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    vat_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    gross_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


class OrderBaseTotalsSerializer(OrderTotalsSerializer):
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=6, read_only=True)


class ContractDifferenceSerializer(serializers.Serializer):
    contract = serializers.CharField(read_only=True)
    order = serializers.CharField(read_only=True)


class DeviationSerializer(serializers.Serializer):
    """One deviation from the standard (see orderdesk/orders/deviations.py for each kind)."""

    kind = serializers.CharField(read_only=True)
    line = serializers.IntegerField(read_only=True, allow_null=True, help_text=_("Position."))
    line_id = serializers.IntegerField(read_only=True, allow_null=True)
    standard = serializers.CharField(read_only=True, allow_null=True)
    value = serializers.CharField(read_only=True, allow_null=True)
    limit = serializers.CharField(read_only=True, allow_null=True)
    unit = serializers.CharField(read_only=True)
    approvers = serializers.ListField(child=serializers.CharField(), read_only=True)
    detail = serializers.DictField(read_only=True)


class OrderListItemSerializer(serializers.ModelSerializer):
    customer = OrderRefSerializer(read_only=True)
    manager = OrderUserRefSerializer(read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "fulfillment_status",
            "payment_status",
            "customer",
            "manager",
            "order_date",
            "requested_delivery_date",
            "customer_reference",
            "currency",
            "net_amount",
            "vat_amount",
            "gross_amount",
            "base_gross_amount",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderMinimalSerializer(serializers.Serializer):
    """The compact answer to a create, submit or confirm sent with `Prefer: return=minimal`
    (RFC 7240): what an e-shop keeps of the order. The view builds it by hand (see
    `views.order_minimal`); this class describes it in the OpenAPI schema."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    fulfillment_status = serializers.ChoiceField(choices=FulfillmentStatus.choices, read_only=True)
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices, read_only=True)
    totals = OrderTotalsSerializer(read_only=True)


class OrderDetailSerializer(serializers.ModelSerializer):
    """The order card: header, lines, totals, what differs from the contract, what may be done.

    Expects `differences`, `deviations` and `allowed_actions` in the context (the view
    computes them).
    """

    customer = OrderRefSerializer(read_only=True)
    contract = OrderRefSerializer(read_only=True, allow_null=True)
    manager = OrderUserRefSerializer(read_only=True)
    currency = serializers.CharField(source="currency_id", read_only=True)
    price_list = OrderRefSerializer(read_only=True, allow_null=True)
    payment_terms = OrderRefSerializer(read_only=True)
    payment_method = OrderRefSerializer(read_only=True)
    delivery_method = OrderRefSerializer(read_only=True, allow_null=True)
    warehouse = OrderRefSerializer(read_only=True)
    cancel_reason = OrderRefSerializer(read_only=True, allow_null=True)
    created_by = OrderUserRefSerializer(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    base_totals = serializers.SerializerMethodField()
    differences_from_contract = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    deviations = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "fulfillment_status",
            "payment_status",
            "revision",
            "customer",
            "contract",
            "manager",
            "order_date",
            "requested_delivery_date",
            "customer_reference",
            "currency",
            "exchange_rate",
            "price_list",
            "payment_terms",
            "payment_method",
            "delivery_method",
            "delivery_terms",
            "delivery_address",
            "warehouse",
            "partial_shipment_allowed",
            "comment",
            "lines",
            "totals",
            "base_totals",
            "differences_from_contract",
            "deviations",
            "discount_percent",
            "base_granted_discount_amount",
            "allowed_actions",
            "cancel_reason",
            "cancel_comment",
            "created_by",
            "created_at",
            "updated_at",
            "confirmed_at",
            "cancelled_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OrderTotalsSerializer)
    def get_totals(self, order: Order) -> dict[str, Any]:
        return OrderTotalsSerializer(
            {
                "currency": order.currency_id,
                "net_amount": order.net_amount,
                "vat_amount": order.vat_amount,
                "gross_amount": order.gross_amount,
            }
        ).data

    @extend_schema_field(OrderBaseTotalsSerializer)
    def get_base_totals(self, order: Order) -> dict[str, Any]:
        return OrderBaseTotalsSerializer(
            {
                "currency": settings.ORDERDESK["BASE_CURRENCY"],
                "exchange_rate": order.exchange_rate,
                "net_amount": order.base_net_amount,
                "vat_amount": order.base_vat_amount,
                "gross_amount": order.base_gross_amount,
            }
        ).data

    @extend_schema_field(serializers.DictField(child=ContractDifferenceSerializer()))
    def get_differences_from_contract(self, order: Order) -> dict[str, dict[str, str]]:
        return self.context.get("differences", {})

    @extend_schema_field(DeviationSerializer(many=True))
    def get_deviations(self, order: Order) -> list[dict[str, Any]]:
        return self.context.get("deviations", [])

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=OrderAction.choices))
    )
    def get_allowed_actions(self, order: Order) -> list[str]:
        return self.context.get("allowed_actions", [])


class OrderEventSerializer(serializers.Serializer):
    """One history event of the order: who, when, what, before -> after."""

    seq = serializers.IntegerField(read_only=True)
    action = serializers.CharField(read_only=True)
    object_type = serializers.CharField(read_only=True)
    object_id = serializers.CharField(read_only=True)
    object_repr = serializers.CharField(read_only=True)
    actor_name = serializers.CharField(read_only=True)
    occurred_at = serializers.DateTimeField(read_only=True)
    changes = serializers.JSONField(
        read_only=True, help_text=_('{field: {"from": before, "to": after}}')
    )
    data = serializers.JSONField(read_only=True)


class OrderTemplateLineSerializer(serializers.ModelSerializer):
    product = OrderProductRefSerializer(read_only=True)

    class Meta:
        model = OrderTemplateLine
        fields = ["id", "position", "product", "quantity", "discount_percent"]
        read_only_fields = fields


class OrderTemplateSerializer(serializers.ModelSerializer):
    owner = OrderUserRefSerializer(read_only=True)
    payment_terms = OrderRefSerializer(read_only=True, allow_null=True)
    payment_method = OrderRefSerializer(read_only=True, allow_null=True)
    delivery_method = OrderRefSerializer(read_only=True, allow_null=True)
    lines = OrderTemplateLineSerializer(many=True, read_only=True)

    class Meta:
        model = OrderTemplate
        fields = [
            "id",
            "name",
            "owner",
            "shared",
            "payment_terms",
            "payment_method",
            "delivery_method",
            "partial_shipment_allowed",
            "comment",
            "lines",
            "created_at",
        ]
        read_only_fields = fields


class CancellationReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = CancellationReason
        fields = ["id", "code", "name", "requires_text"]
        read_only_fields = fields


class TermRightsSerializer(serializers.Serializer):
    """The rights matrix: for each role, the terms it may change on an order."""

    terms = serializers.ListField(child=serializers.CharField(), read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    rights = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TermRightsInputSerializer(StrictInputSerializer):
    rights = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=32), max_length=20),
        help_text=_("{role: [term, ...]}; roles not sent keep their rights."),
    )
