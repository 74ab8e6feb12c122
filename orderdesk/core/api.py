"""API plumbing shared by every app: error shape, pagination, idempotent creates."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .db import atomic_with_retry
from .errors import DomainError, ValidationFailed, database_unavailable, is_database_unreachable
from .middleware import RETRY_AFTER, log_database_unreachable
from .models import IdempotencyRecord


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "detail": serializers.CharField(),
        "fields": serializers.DictField(),
    },
)

ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input"),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed"),
    404: OpenApiResponse(ErrorSerializer, description="Not found or not visible"),
    409: OpenApiResponse(ErrorSerializer, description="State does not allow it"),
}

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Replaying a create with the same key returns the first response; "
    "the same key with another body is refused (idempotency_key_reused).",
)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # DRF reports list items keyed by index; name them like the services do: lines[0]
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(isinstance(v, exceptions.ErrorDetail | str) for v in detail):
            out[prefix or "non_field_errors"] = [
                {"code": getattr(v, "code", "invalid"), "detail": str(v)} for v in detail
            ]
        else:
            for i, value in enumerate(detail):
                if value:
                    out.update(_flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix or "non_field_errors"] = [
            {"code": getattr(detail, "code", "invalid"), "detail": str(detail)}
        ]
    return out


def exception_handler(exc, context):
    """Every refusal as {"code", "detail", "fields"} with a stable code; a database that
    cannot be reached as 503 `database_unavailable` with Retry-After (core/middleware.py)."""
    if is_database_unreachable(exc):
        request = context.get("request")
        if request is not None:
            log_database_unreachable(request, exc)
        error = database_unavailable()
        return Response(
            error.as_dict(), status=error.status, headers={"Retry-After": str(RETRY_AFTER)}
        )
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else {"detail": _("Invalid input.")}
        response.data = {
            "code": "validation_error",
            "detail": first["detail"],
            "fields": fields,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"code": str(code), "detail": str(detail), "fields": {}}
    return response


def _hash_request(scope: str, data: Any) -> str:
    blob = json.dumps({"scope": scope, "data": data}, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(blob.encode()).hexdigest()


def idempotent(request, *, scope: str, handler) -> Response:
    """Run a create once per (user, Idempotency-Key).

    The record is inserted in the same transaction as the create, so a concurrent replay
    waits on the unique key and then reads the committed first answer.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return handler()
    if len(key) > 255:
        raise ValidationFailed(
            _("Idempotency-Key is longer than 255 characters."), code="idempotency_key_invalid"
        )
    digest = _hash_request(scope, request.data)

    def replay() -> Response:
        record = IdempotencyRecord.objects.get(user=request.user, key=key)
        if record.request_hash != digest or record.scope != scope:
            raise ValidationFailed(
                _("This Idempotency-Key was used with another request."),
                code="idempotency_key_reused",
            )
        return Response(
            record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"}
        )

    @atomic_with_retry
    def attempt() -> Response:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    scope=scope,
                    request_hash=digest,
                    status_code=0,
                    response={},
                )
        except IntegrityError:
            return replay()
        response = handler()
        record.status_code = response.status_code
        record.response = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        record.save(update_fields=["status_code", "response"])
        return response

    return attempt()


CREATED = status.HTTP_201_CREATED
