"""Credit API: limits (credit controllers, administrators), a customer's exposure with its
breakdown, the release queue and release, manual blocks."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orderdesk.core.api import ERROR_RESPONSES
from orderdesk.core.errors import NotFound, PermissionRefused
from orderdesk.core.roles import Role, has_role
from orderdesk.customers.models import Customer
from orderdesk.customers.selectors import customer_get_for

from .. import services
from ..models import CreditHold, CreditLimit, HoldStatus

TAGS = ["credit"]
READERS = (
    Role.CREDIT_CONTROLLER,
    Role.ADMINISTRATOR,
    Role.SALES_HEAD,
    Role.SALES_MANAGER,
    Role.ACCOUNTANT,
)


def _customer(pk: Any) -> Customer:
    try:
        return Customer.objects.get(pk=int(pk))
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such customer."), code="customer_not_found") from None


def limit_data(limit: CreditLimit) -> dict[str, Any]:
    return {
        "id": limit.pk,
        "customer": limit.customer_id,
        "contract": limit.contract_id,
        "group": limit.group_id,
        "amount": str(limit.amount),
        "entered": {"amount": str(limit.entered_amount), "currency": limit.entered_currency},
        "mode": limit.mode,
        "overdue_days": limit.overdue_days,
        "overdue_amount": str(limit.overdue_amount),
        "valid_from": limit.valid_from,
        "valid_to": limit.valid_to,
        "set_by": limit.set_by.username,
        "set_at": limit.set_at,
    }


class Base(APIView):
    parser_classes = [JSONParser]


class LimitsView(Base):
    @extend_schema(
        operation_id="credit_limits_list", tags=TAGS, responses={200: dict, **ERROR_RESPONSES}
    )
    def get(self, request: Request) -> Response:
        if not has_role(request.user, *services.CONTROLLERS):
            raise PermissionRefused(
                _("Only credit controllers see limits."), code="credit_not_permitted"
            )
        qs = CreditLimit.objects.select_related("set_by")
        if "customer" in request.query_params:
            qs = qs.filter(customer_id=request.query_params["customer"])
        return Response([limit_data(x) for x in qs[:500]])

    @extend_schema(operation_id="credit_limits_set", tags=TAGS, request=dict, responses={201: dict, **ERROR_RESPONSES},
                   description="{customer | contract | group, amount, currency, mode (warn, block_confirmation, "
                   "block_shipment), overdue_days, overdue_amount, valid_from, valid_to}")  # fmt: skip
    def post(self, request: Request) -> Response:
        d = request.data
        limit = services.limit_set(
            by=request.user,
            customer=d.get("customer"),
            contract=d.get("contract"),
            group=d.get("group"),
            amount=d.get("amount"),
            currency=d.get("currency"),
            mode=d.get("mode") or "warn",
            overdue_days=d.get("overdue_days") or 0,
            overdue_amount=d.get("overdue_amount") or 0,
            valid_from=parse_date(str(d.get("valid_from") or "")) or None,
            valid_to=parse_date(str(d.get("valid_to") or "")) or None,
        )
        return Response(limit_data(limit), status=201)


def exposure_data(a) -> dict[str, Any]:
    return {k: (str(v) if hasattr(v, "quantize") else v) for k, v in a.as_dict().items()} | {
        "reasons": a.reasons
    }


class ExposureView(Base):
    @extend_schema(operation_id="credit_exposure", tags=TAGS, responses={200: dict, **ERROR_RESPONSES},
                   description="Exposure = open receivables + orders + this order (?amount=), with reasons.")  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        if not has_role(request.user, *READERS):
            raise NotFound(_("No such customer."), code="customer_not_found")
        # security: a seller sees the exposure of the customers they see, not any customer's
        customer = customer_get_for(user=request.user, pk=pk)
        amount = request.query_params.get("amount") or "0"
        try:
            from decimal import Decimal

            amount = Decimal(amount)
        except Exception:
            amount = 0
        a = services.check(customer=customer, amount=amount, stage="entry", lock=False)
        return Response(exposure_data(a))


class HoldsView(Base):
    @extend_schema(operation_id="credit_holds", tags=TAGS, responses={200: dict, **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        if not has_role(request.user, *services.CONTROLLERS):
            raise PermissionRefused(
                _("Only credit controllers see the queue."), code="credit_not_permitted"
            )
        holds = CreditHold.objects.filter(status=HoldStatus.HELD).select_related("customer")
        return Response([
            {"order": {"id": h.order_id, "number": h.order_number}, "customer": str(h.customer),
             "amount": str(h.amount), "reasons": h.reasons, "held_at": h.held_at, "stage": h.stage}
            for h in holds
        ])  # fmt: skip


class ReleaseView(Base):
    @extend_schema(operation_id="credit_hold_release", tags=TAGS, request=dict, responses={200: dict, **ERROR_RESPONSES},
                   description="{comment}: release the held order once (credit controllers, administrators).")  # fmt: skip
    def post(self, request: Request, order_id: int) -> Response:
        hold = services.hold_release(
            by=request.user, order_id=order_id, comment=request.data.get("comment", "")
        )
        return Response({"order": hold.order_id, "status": hold.status, "comment": hold.comment})


class BlockView(Base):
    @extend_schema(operation_id="credit_block", tags=TAGS, request=dict, responses={200: dict, **ERROR_RESPONSES},
                   description="POST {reason}: block the customer by hand; DELETE: lift the block.")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        account = services.block_set(
            by=request.user, customer=_customer(pk), reason=request.data.get("reason", "")
        )
        return Response({"blocked": account.blocked, "reason": account.block_reason})

    @extend_schema(operation_id="credit_unblock", tags=TAGS, request=None,
                   responses={200: dict, **ERROR_RESPONSES})  # fmt: skip
    def delete(self, request: Request, pk: int) -> Response:
        account = services.block_lift(
            by=request.user,
            customer=_customer(pk),
            reason=request.data.get("reason", "") if request.data else "",
        )
        return Response({"blocked": account.blocked})
