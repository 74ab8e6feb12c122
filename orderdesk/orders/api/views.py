"""Orders REST API: one view per resource, one service call per write.

Each write makes sure the user can see the order (an order the user may not see is
`order_not_found`, 404, never a hint that it exists), calls one service and answers with the
order card: read again with `selectors.order_get_for`, or, for create, submit and confirm,
built from the order the service returns (see `moved`), which holds what the card shows.
Create, submit and confirm answer the compact `OrderMinimalSerializer` instead when the
client sends `Prefer: return=minimal` (RFC 7240). A create with `confirm` (or `submit`)
confirms in the same transaction (`OrderListCreateView.post`). Refusals are domain errors
and leave as {"code", "detail", "fields"} through `core.api.exception_handler`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from orderdesk.core.api import CREATED, ERROR_RESPONSES, IDEMPOTENCY_HEADER, idempotent
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import NotFound, PermissionRefused
from orderdesk.core.roles import Role, has_role, is_admin
from orderdesk.pricing.selectors import can_view_prices

from .. import selectors, services
from ..choices import SYSTEM_ACTIONS, TRANSITIONS, OrderStatus, Term
from ..deviations import order_deviations
from ..models import (
    CancellationReason,
    DeliveryScheduleEntry,
    Order,
    OrderTemplate,
    OrderTemplateLine,
)
from ..permissions import can_edit_order, order_scope
from ..services._common import known_related
from . import serializers as s

ORDERS = ["orders"]
TEMPLATES = ["order templates"]
PAGINATION_PARAMS = {"page", "page_size"}


def allowed_actions(user, order: Order) -> list[str]:
    """The moves of the transitions table open from the order's state to this user."""
    if not can_edit_order(user, order):
        return []
    return [
        action
        for (state, action) in TRANSITIONS
        if state == order.status and action not in SYSTEM_ACTIONS
    ]


def order_deviation_list(user, order: Order) -> list[dict[str, Any]]:
    """The order's deviations for roles that work with prices (others get an empty list)."""
    if not can_view_prices(user):
        return []
    return [d.as_dict() for d in order_deviations(order)]


def order_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    return order_answer(request, selectors.order_get_for(user=request.user, pk=pk), code=code)


def order_answer(request: Request, order: Order, *, code: int = status.HTTP_200_OK) -> Response:
    """The order card of an order in memory (read by `order_get_for`, or returned by a
    service with what the card needs loaded: see `create` and `confirm`)."""
    context = {
        "request": request,
        "differences": selectors.order_differences(order),
        "deviations": order_deviation_list(request.user, order),
        "allowed_actions": allowed_actions(request.user, order),
    }
    return Response(s.OrderDetailSerializer(order, context=context).data, status=code)


# what can change on an order after its confirming transaction (the warehouse release and
# the payment state follow on commit): read again before the answer
AFTER_COMMIT_FIELDS = ["status", "fulfillment_status", "payment_status", "revision", "updated_at"]


def moved(request: Request, pk: Any, service, *, card: bool = True) -> Order:
    """Submit or confirm order `pk` and return it for the answer, without reading it twice.

    The service locks the order and checks the user may change it; an order the user may not
    change answers 404 `order_not_found` when the user may not even see it (the visibility
    query runs only then). The locked order comes with its terms, lines and instalments
    (`entry.moving_shape`); the columns that change on commit are read, and the schedules
    when the answer is the `card` (not the minimal one)."""
    try:
        order = service(by=request.user, order=pk)
    except PermissionRefused as exc:
        if exc.code == "order_not_permitted":
            ensure_visible(request.user, pk)
        raise
    order.refresh_from_db(fields=AFTER_COMMIT_FIELDS)
    if card:
        prefetch_related_objects(
            list(order.lines.all()),
            Prefetch("schedule", queryset=DeliveryScheduleEntry.objects.order_by("date")),
        )
    return order


# --- the compact answer (RFC 7240) --------------------------------------------------------------

RETURN_MINIMAL = "return=minimal"
MINIMAL_KEYS = frozenset(s.OrderMinimalSerializer._declared_fields)
# one field instance for every answer: the same rendering as the card's totals, without
# building a serializer per answer
_AMOUNT = serializers.DecimalField(max_digits=18, decimal_places=2)

PREFER_HEADER = OpenApiParameter(
    name="Prefer",
    location=OpenApiParameter.HEADER,
    required=False,
    enum=[RETURN_MINIMAL, "return=representation"],
    description="`return=minimal` (RFC 7240): answer only id, number, status, "
    "fulfillment_status, payment_status and totals, with the order's URL in `Location` and "
    "`Preference-Applied: return=minimal`. Without it the answer is the order card.",
)


def prefers_minimal(request: Request) -> bool:
    """Whether the client asks for the compact answer: the first `return` preference of the
    Prefer header(s) is `minimal` (names and values compared case-insensitively)."""
    header = request.headers.get("Prefer", "")
    for preference in header.split(","):
        name, _sep, value = preference.split(";", 1)[0].partition("=")
        if name.strip().lower() == "return":
            return value.strip().strip('"').lower() == "minimal"
    return False


def order_minimal(order: Order) -> dict[str, Any]:
    """`OrderMinimalSerializer`'s body, from the columns of the order in memory: no related
    record, no deviation, no line is read."""
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "fulfillment_status": order.fulfillment_status,
        "payment_status": order.payment_status,
        "totals": {
            "currency": order.currency_id,
            "net_amount": _AMOUNT.to_representation(order.net_amount),
            "vat_amount": _AMOUNT.to_representation(order.vat_amount),
            "gross_amount": _AMOUNT.to_representation(order.gross_amount),
        },
    }


def order_reply(
    request: Request, order: Order, *, minimal: bool, code: int = status.HTTP_200_OK
) -> Response:
    """The order card, or the compact answer when the client prefers it."""
    if minimal:
        return Response(order_minimal(order), status=code)
    return order_answer(request, order, code=code)


def with_reply_headers(response: Response) -> Response:
    """Headers of a create, submit or confirm answer (first or replayed): `Location` of the
    order for a create or a compact answer, `Preference-Applied` when the body is compact."""
    data = response.data
    if response.status_code < 300 and isinstance(data, dict) and "id" in data:
        compact = data.keys() == MINIMAL_KEYS
        if compact or response.status_code == CREATED:
            response["Location"] = reverse("api-order", args=[data["id"]])
        if compact:
            response["Preference-Applied"] = RETURN_MINIMAL
    patch_vary_headers(response, ["Prefer"])
    return response


def order_or_minimal_response(*, created: bool = False, description: str = "") -> dict:
    """OpenAPI: the success answer is the card, or the compact body under `Prefer`."""
    body = PolymorphicProxySerializer(
        component_name="OrderCreated" if created else "OrderMoved",
        serializers=[s.OrderDetailSerializer, s.OrderMinimalSerializer],
        resource_type_field_name=None,
    )
    return {(CREATED if created else 200): OpenApiResponse(body, description=description)}


def service_body(service):
    """The service function without its own transaction decorator (`atomic_with_retry`), for a
    caller that runs several services in one transaction it opened itself: nested, each
    decorator would only add a savepoint (two statements) that nothing rolls back to, as any
    refusal ends the caller's whole transaction. The services' rules are all in the body."""
    return getattr(service, "__wrapped__", service)


def ensure_visible(user, pk: Any) -> None:
    """404 `order_not_found` unless `user` may see order `pk` (before any write is tried)."""
    if not Order.objects.filter(order_scope(user), pk=pk).exists():
        raise NotFound(_("No such order."), code="order_not_found")


def _indexed(detail: Any) -> Any:
    """DRF reports list items as {index: errors}; make them lists again so that the error
    handler names them `lines[0].quantity`, the path the services use."""
    if isinstance(detail, dict):
        if detail and all(isinstance(k, int) for k in detail):
            return [_indexed(detail.get(i, {})) for i in range(max(detail) + 1)]
        return {k: _indexed(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_indexed(v) for v in detail]
    return detail


def validated(serializer_class: type[serializers.Serializer], request: Request):
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        raise serializers.ValidationError(_indexed(serializer.errors))
    return serializer


def parse(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    return validated(serializer_class, request).validated_data


def template_queryset(user):
    lines = OrderTemplateLine.objects.select_related("product").order_by("position")
    return (
        OrderTemplate.objects.filter(services.template_scope(user))
        .select_related("owner", "payment_terms", "payment_method", "delivery_method")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("name", "id")
    )


def template_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    template = template_queryset(request.user).filter(pk=pk).first()
    if template is None:
        raise NotFound(_("No such template."), code="template_not_found")
    return Response(s.OrderTemplateSerializer(template).data, status=code)


class OrdersAPIView(GenericAPIView):
    """Common settings: JSON bodies, no generic filter backends (the selectors filter)."""

    parser_classes = [JSONParser]
    filter_backends: list = []


LIST_PARAMETERS = [
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=OrderStatus.values,
        many=True,
        description="One or more statuses (repeat the parameter or separate with commas).",
    ),
    OpenApiParameter("customer", OpenApiTypes.INT, description="Customer id."),
    OpenApiParameter("manager", OpenApiTypes.INT, description="Responsible manager's user id."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Order date on or after."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Order date on or before."),
    OpenApiParameter("currency", OpenApiTypes.STR, description="ISO 4217 code."),
    OpenApiParameter(
        "q", OpenApiTypes.STR, description="Number, customer name or tax id, reference."
    ),
]


class OrderListCreateView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_list",
        tags=ORDERS,
        parameters=LIST_PARAMETERS,
        responses={200: s.OrderListItemSerializer(many=True), **ERROR_RESPONSES},
        description="Orders the user may see. Unknown parameters are refused "
        "(`filter_unknown`), a reversed date range too (`date_range_reversed`).",
    )
    def get(self, request: Request) -> Response:
        filters: dict[str, Any] = {}
        for key, values in request.query_params.lists():
            if key in PAGINATION_PARAMS:
                continue
            if key == "status":
                values = [v.strip() for value in values for v in value.split(",") if v.strip()]
            filters[key] = values if len(values) != 1 else values[0]
        orders = selectors.order_list_for(user=request.user, filters=filters)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(s.OrderListItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="orders_create",
        tags=ORDERS,
        parameters=[IDEMPOTENCY_HEADER, PREFER_HEADER],
        request=s.OrderCreateInputSerializer,
        responses={
            **order_or_minimal_response(
                created=True,
                description="The order (the card, or the compact body under "
                "`Prefer: return=minimal`); its URL in `Location`.",
            ),
            **ERROR_RESPONSES,
        },
        description="Enter a draft order. Header values not sent come from the customer's "
        "default (or the given) contract; a value sent that differs from the contract needs "
        "the user's right on that term (`term_change_forbidden`). With `confirm: true` the "
        "order is confirmed in the same transaction, exactly as `orders_confirm` does "
        "(`status` confirmed, pending_approval when approval rules fire, or credit_hold); "
        "with `submit: true` it is submitted as `orders_submit` does. A refusal of the "
        "confirmation (`order_empty`, `exchange_rate_missing`, `approval_no_approver`...) "
        "leaves no draft behind.",
    )
    def post(self, request: Request) -> Response:
        # parsed before the idempotency record is written: a body of the wrong shape is
        # refused without a statement (it would not be remembered either way)
        data = dict(parse(s.OrderCreateInputSerializer, request))
        confirm, submit = data.pop("confirm", False), data.pop("submit", False)
        move = services.order_confirm if confirm else services.order_submit if submit else None
        minimal = prefers_minimal(request)
        customer, lines = data.pop("customer"), data.pop("lines", [])
        before_commit: list[Order] = []  # an answer built inside idempotent()'s transaction

        def create_and_move() -> Order:
            # one transaction for both services (see service_body), retried as one
            order = service_body(services.order_create)(
                by=request.user, customer=customer, lines=lines, **data
            )
            schedules = {line.pk: line.created_schedule for line in order.created_lines}
            order = service_body(move)(by=request.user, order=order.pk)
            if not minimal:  # the card shows the schedules just written: no re-read
                for line in order.lines.all():
                    known_related(line, "schedule", schedules[line.pk])
            return order

        def create() -> Response:
            if move is None:
                order = services.order_create(
                    by=request.user, customer=customer, lines=lines, **data
                )
                if not minimal:  # the order as created, lines and schedules in memory
                    created = order.created_lines
                    for line in created:
                        known_related(line, "schedule", line.created_schedule)
                    known_related(order, "lines", created)
                return order_reply(request, order, minimal=minimal, code=CREATED)
            order = atomic_with_retry(create_and_move)()
            # the confirmation's handlers change the row through their own instances (the
            # payment state); once committed, its follow-ups too (the warehouse's release)
            order.refresh_from_db(fields=AFTER_COMMIT_FIELDS)
            if connection.in_atomic_block:  # idempotent()'s transaction: not committed yet
                before_commit.append(order)
            return order_reply(request, order, minimal=minimal, code=CREATED)

        response = idempotent(request, scope="orders.create", handler=create)
        if before_commit and not connection.in_atomic_block:
            # with an Idempotency-Key the answer was built (and stored) before the commit: the
            # client gets the columns as the commit's follow-ups left them; a replay answers
            # the stored body
            order = before_commit[0]
            stored = [getattr(order, f) for f in AFTER_COMMIT_FIELDS]
            order.refresh_from_db(fields=AFTER_COMMIT_FIELDS)
            if stored != [getattr(order, f) for f in AFTER_COMMIT_FIELDS]:
                response = order_reply(request, order, minimal=minimal, code=CREATED)
        return with_reply_headers(response)


class OrderDetailView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_retrieve",
        tags=ORDERS,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        return order_response(request, pk)

    @extend_schema(
        operation_id="orders_partial_update",
        tags=ORDERS,
        request=s.OrderHeaderInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Change header values of a draft (`order_not_editable` otherwise).",
    )
    def patch(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        header = parse(s.OrderHeaderInputSerializer, request)
        services.order_update(by=request.user, order=pk, **header)
        return order_response(request, pk)


class OrderLinesView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_lines_create",
        tags=ORDERS,
        request=s.LineInputSerializer,
        responses={201: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Add a line to a draft; answers with the whole order.",
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        line = parse(s.LineInputSerializer, request)
        services.order_line_add(by=request.user, order=pk, line=line)
        return order_response(request, pk, code=CREATED)


class OrderLineDetailView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_lines_partial_update",
        tags=ORDERS,
        request=s.LineChangesInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
    )
    def patch(self, request: Request, pk: int, line_id: int) -> Response:
        ensure_visible(request.user, pk)
        changes = parse(s.LineChangesInputSerializer, request)
        services.order_line_update(by=request.user, order=pk, line_id=line_id, **changes)
        return order_response(request, pk)

    @extend_schema(
        operation_id="orders_lines_destroy",
        tags=ORDERS,
        request=None,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Remove a line from a draft; answers with the whole order.",
    )
    def delete(self, request: Request, pk: int, line_id: int) -> Response:
        ensure_visible(request.user, pk)
        services.order_line_remove(by=request.user, order=pk, line_id=line_id)
        return order_response(request, pk)


class OrderConfirmView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_confirm",
        tags=ORDERS,
        request=None,
        parameters=[PREFER_HEADER],
        responses={**order_or_minimal_response(), **ERROR_RESPONSES},
        description="Confirm a draft; the exchange rate is fixed at today's rate. As "
        "submitting, it waits for approval (pending_approval) when approval rules fire, and "
        "credit control may hold it (credit_hold).",
    )
    def post(self, request: Request, pk: int) -> Response:
        minimal = prefers_minimal(request)
        order = moved(request, pk, services.order_confirm, card=not minimal)
        return with_reply_headers(order_reply(request, order, minimal=minimal))


class OrderCancelView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_cancel",
        tags=ORDERS,
        request=s.OrderCancelInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        data = parse(s.OrderCancelInputSerializer, request)
        services.order_cancel(
            by=request.user, order=pk, reason=data["reason"], comment=data.get("comment", "")
        )
        return order_response(request, pk)


class OrderCloseView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_close",
        tags=ORDERS,
        request=None,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        services.order_close(by=request.user, order=pk)
        return order_response(request, pk)


class OrderAmendmentsView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_amend",
        tags=ORDERS,
        request=s.OrderAmendInputSerializer,
        responses={201: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Change a confirmed order explicitly, with a reason: a new revision.",
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        data = parse(s.OrderAmendInputSerializer, request)
        update = {}
        for change in data.get("update", []):
            change = dict(change)
            update[change.pop("id")] = change
        services.order_amend(
            by=request.user,
            order=pk,
            reason=data["reason"],
            header=data.get("header") or None,
            add=data.get("add", []),
            update=update,
            remove=data.get("remove", []),
        )
        return order_response(request, pk, code=CREATED)


class OrderCopyView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_copy",
        tags=ORDERS,
        parameters=[IDEMPOTENCY_HEADER],
        request=s.OrderCopyInputSerializer,
        responses={201: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="A new draft with the same lines and terms at today's standard prices.",
    )
    def post(self, request: Request, pk: int) -> Response:
        def copy() -> Response:
            order = selectors.order_get_for(user=request.user, pk=pk)
            data = parse(s.OrderCopyInputSerializer, request)
            new = services.order_copy(by=request.user, order=order, customer=data.get("customer"))
            return order_response(request, new.pk, code=CREATED)

        return idempotent(request, scope=f"orders.copy:{pk}", handler=copy)


class OrderTimelineView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_timeline",
        tags=ORDERS,
        responses={200: s.OrderEventSerializer(many=True), **ERROR_RESPONSES},
        description="Every event of the order in order: who, when, what, before -> after.",
    )
    def get(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        events = selectors.order_timeline(Order(pk=pk), user=request.user)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.OrderEventSerializer(page, many=True).data)


class OrderSaveAsTemplateView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_save_as_template",
        tags=TEMPLATES,
        request=s.SaveAsTemplateInputSerializer,
        responses={201: s.OrderTemplateSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int) -> Response:
        order = selectors.order_get_for(user=request.user, pk=pk)
        data = parse(s.SaveAsTemplateInputSerializer, request)
        template = services.template_from_order(
            by=request.user, order=order, name=data["name"], shared=data["shared"]
        )
        return template_response(request, template.pk, code=CREATED)


class OrderTemplateListCreateView(OrdersAPIView):
    @extend_schema(
        operation_id="order_templates_list",
        tags=TEMPLATES,
        responses={200: s.OrderTemplateSerializer(many=True), **ERROR_RESPONSES},
        description="The user's own templates and the shared ones.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(template_queryset(request.user))
        return self.get_paginated_response(s.OrderTemplateSerializer(page, many=True).data)

    @extend_schema(
        operation_id="order_templates_create",
        tags=TEMPLATES,
        request=s.OrderTemplateInputSerializer,
        responses={201: s.OrderTemplateSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        serializer = validated(s.OrderTemplateInputSerializer, request)
        template = services.template_save(
            by=request.user,
            name=serializer.validated_data["name"],
            shared=serializer.validated_data["shared"],
            lines=serializer.line_inputs(),
            **serializer.terms(),
        )
        return template_response(request, template.pk, code=CREATED)


class OrderTemplateDetailView(OrdersAPIView):
    @extend_schema(
        operation_id="order_templates_retrieve",
        tags=TEMPLATES,
        responses={200: s.OrderTemplateSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, pk: int) -> Response:
        return template_response(request, pk)

    @extend_schema(
        operation_id="order_templates_update",
        tags=TEMPLATES,
        request=s.OrderTemplateInputSerializer,
        responses={200: s.OrderTemplateSerializer, **ERROR_RESPONSES},
        description="Replace the template's name, terms and lines (owner or administrator).",
    )
    def put(self, request: Request, pk: int) -> Response:
        template = services.template_get(user=request.user, pk=pk)
        serializer = validated(s.OrderTemplateInputSerializer, request)
        services.template_save(
            by=request.user,
            template=template,
            name=serializer.validated_data["name"],
            shared=serializer.validated_data["shared"],
            lines=serializer.line_inputs(),
            **serializer.terms(),
        )
        return template_response(request, pk)

    @extend_schema(
        operation_id="order_templates_destroy",
        tags=TEMPLATES,
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **ERROR_RESPONSES},
    )
    def delete(self, request: Request, pk: int) -> Response:
        template = services.template_get(user=request.user, pk=pk)
        services.template_delete(by=request.user, template=template)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrderTemplateCreateOrderView(OrdersAPIView):
    @extend_schema(
        operation_id="order_templates_create_order",
        tags=TEMPLATES,
        parameters=[IDEMPOTENCY_HEADER],
        request=s.OrderFromTemplateInputSerializer,
        responses={201: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="A new draft for the customer with the template's lines and terms.",
    )
    def post(self, request: Request, pk: int) -> Response:
        def create() -> Response:
            template = services.template_get(user=request.user, pk=pk)
            data = parse(s.OrderFromTemplateInputSerializer, request)
            order = services.order_create_from_template(
                by=request.user,
                template=template,
                customer=data["customer"],
                contract=data.get("contract"),
            )
            return order_response(request, order.pk, code=CREATED)

        return idempotent(request, scope=f"orders.from_template:{pk}", handler=create)


class CancellationReasonListView(OrdersAPIView):
    pagination_class = None

    @extend_schema(
        operation_id="cancellation_reasons_list",
        tags=ORDERS,
        responses={200: s.CancellationReasonSerializer(many=True), **ERROR_RESPONSES},
        description="The catalogue of reasons an order is cancelled for.",
    )
    def get(self, request: Request) -> Response:
        reasons = CancellationReason.objects.filter(active=True).order_by("name")
        return Response(s.CancellationReasonSerializer(reasons, many=True).data)


class OrderDeviationsView(OrdersAPIView):
    pagination_class = None

    @extend_schema(
        operation_id="orders_deviations",
        tags=ORDERS,
        responses={200: s.DeviationSerializer(many=True), **ERROR_RESPONSES},
        description="Every deviation of the order from its standard (contract, price list, "
        "policies, limits) with its numbers and who may approve it.",
    )
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.order_get_for(user=request.user, pk=pk)
        return Response(order_deviation_list(request.user, order))


def _term_rights_answer() -> dict[str, Any]:
    return {
        "terms": Term.values,
        "roles": Role.values,
        "rights": services.term_rights_matrix(),
    }


class TermRightsView(OrdersAPIView):
    """The rights matrix on order terms: which role may change which term."""

    pagination_class = None

    @extend_schema(
        operation_id="term_rights_retrieve",
        tags=ORDERS,
        responses={200: s.TermRightsSerializer, **ERROR_RESPONSES},
        description="Administrators only (`term_rights_forbidden`).",
    )
    def get(self, request: Request) -> Response:
        if not is_admin(request.user):
            raise PermissionRefused(
                _("Only an administrator changes the rights on order terms."),
                code="term_rights_forbidden",
            )
        return Response(_term_rights_answer())

    @extend_schema(
        operation_id="term_rights_update",
        tags=ORDERS,
        request=s.TermRightsInputSerializer,
        responses={200: s.TermRightsSerializer, **ERROR_RESPONSES},
        description="Replace the terms of the roles sent (`term_rights_forbidden`, "
        "`role_unknown`, `term_unknown`).",
    )
    def put(self, request: Request) -> Response:
        data = parse(s.TermRightsInputSerializer, request)
        services.term_rights_set(by=request.user, rights=data["rights"])
        return Response(_term_rights_answer())


# --- approval and credit (issue 4, issue 6) -------------------------------------------------


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "return"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class OrderSubmitView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_submit",
        tags=ORDERS,
        request=None,
        parameters=[PREFER_HEADER],
        responses={**order_or_minimal_response(), **ERROR_RESPONSES},
        description="Submit a draft: approval (pending_approval) when its deviations match "
        "approval rules, else confirmation under credit control (confirmed or credit_hold).",
    )
    def post(self, request: Request, pk: int) -> Response:
        minimal = prefers_minimal(request)
        order = moved(request, pk, services.order_submit, card=not minimal)
        return with_reply_headers(order_reply(request, order, minimal=minimal))


class OrderSubmitPreviewView(OrdersAPIView):
    pagination_class = None

    @extend_schema(
        operation_id="orders_submit_preview",
        tags=ORDERS,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        description="Which approval rules fire, who approves (stages), what credit control says.",
    )
    def get(self, request: Request, pk: int) -> Response:
        order = selectors.order_get_for(user=request.user, pk=pk)
        preview = services.submit_preview(order)
        return Response(_jsonable(preview))


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


class OrderDecideView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_decide",
        tags=ORDERS,
        request=DecisionInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Decide the caller's approval task on the order: approve, reject or return "
        "(reject/return need a comment); `version` is the approval version the caller saw.",
    )
    def post(self, request: Request, pk: int) -> Response:
        from ..services.approval_flow import my_task

        if not Order.objects.filter(order_scope(request.user), pk=pk).exists():
            # an approver who cannot see the order otherwise still decides the task on it
            order = Order.objects.filter(pk=pk).first()
            if order is None or my_task(request.user, order) is None:
                raise NotFound(_("No such order."), code="order_not_found")
        data = parse(DecisionInputSerializer, request)
        order = services.order_decide(by=request.user, order=pk, **data)
        if not Order.objects.filter(order_scope(request.user), pk=pk).exists():
            return Response({"id": order.pk, "number": order.number, "status": order.status})
        return order_response(request, pk)


class OrderReturnView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_return_to_draft",
        tags=ORDERS,
        request=CommentInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Take an order waiting for approval or held by credit control back to draft.",
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        data = parse(CommentInputSerializer, request)
        services.order_return_to_draft(by=request.user, order=pk, reason=data["comment"])
        return order_response(request, pk)


class OrderReleaseView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_credit_release",
        tags=ORDERS,
        request=CommentInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Release a held order once with a comment (credit controllers, administrators).",
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        data = parse(CommentInputSerializer, request)
        services.order_release(by=request.user, order=pk, comment=data["comment"])
        return order_response(request, pk)


class OrderCreditOverrideView(OrdersAPIView):
    @extend_schema(
        operation_id="orders_credit_override_request",
        tags=ORDERS,
        request=CommentInputSerializer,
        responses={200: s.OrderDetailSerializer, **ERROR_RESPONSES},
        description="Ask for a credit override (a limit change) of a held order through approval.",
    )
    def post(self, request: Request, pk: int) -> Response:
        ensure_visible(request.user, pk)
        data = parse(CommentInputSerializer, request)
        services.approval_flow.order_override_request(
            by=request.user, order=pk, comment=data["comment"]
        )
        return order_response(request, pk)


CREDIT_VIEWERS = (Role.SALES_MANAGER, Role.SALES_HEAD, Role.CREDIT_CONTROLLER, Role.ADMINISTRATOR)


class OrderCreditView(OrdersAPIView):
    pagination_class = None

    @extend_schema(
        operation_id="orders_credit",
        tags=ORDERS,
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
        description="Exposure with its breakdown for the order (open receivables + orders + this "
        "order against the limit), the breaches in numbers and the mode.",
    )
    def get(self, request: Request, pk: int) -> Response:
        from ..services.credit_flow import assess

        # security: the roles of the order card's credit panel (views/approval_panels.py)
        if not has_role(request.user, *CREDIT_VIEWERS):
            raise PermissionRefused(
                _("Credit exposure is not part of your role."), code="credit_not_permitted"
            )
        order = selectors.order_get_for(user=request.user, pk=pk)
        numbers = assess(order, "confirm", lock=False)
        return Response(_jsonable(numbers.as_dict() | {"reasons": numbers.reasons}))
