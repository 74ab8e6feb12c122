"""Every API refusal has one shape, {"code", "detail", "fields"}, with a stable code."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.test import APIClient

from orderdesk.core.api import exception_handler
from orderdesk.core.errors import Busy, Conflict, NotFound, PermissionRefused, ValidationFailed


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ValidationFailed("Bad.", code="quantity_not_positive", fields={"q": "0"}), 400),
        (PermissionRefused("No.", code="term_change_forbidden", fields={"q": "0"}), 403),
        (NotFound("Gone.", code="order_not_found", fields={"q": "0"}), 404),
        (Conflict("Later.", code="order_not_editable", fields={"q": "0"}), 409),
        (Busy("Busy.", code="busy_retry", fields={"q": "0"}), 503),
    ],
)
def test_domain_errors_keep_their_code_status_and_fields(error, status):
    response = exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {"code": error.code, "detail": error.detail, "fields": {"q": "0"}}


def test_django_404_and_permission_denied_get_the_shape():
    not_found = exception_handler(Http404(), {})
    denied = exception_handler(PermissionDenied(), {})

    assert not_found.status_code == 404
    assert not_found.data["code"] == "not_found"
    assert not_found.data["fields"] == {}
    assert denied.status_code == 403
    assert denied.data["code"] == "permission_denied"


def test_nested_validation_errors_are_flattened_to_paths_with_codes():
    error = exceptions.ValidationError(
        {
            "customer": [ErrorDetail("Required.", code="required")],
            "lines": [
                {},
                {"quantity": [ErrorDetail("Too many places.", code="max_decimal_places")]},
            ],
        }
    )

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert response.data["detail"] == "Required."
    assert response.data["fields"] == {
        "customer": [{"code": "required", "detail": "Required."}],
        "lines[1].quantity": [{"code": "max_decimal_places", "detail": "Too many places."}],
    }


def test_a_non_field_validation_error_is_named_so():
    response = exception_handler(exceptions.ValidationError("Whole body wrong."), {})

    assert response.data["fields"] == {
        "non_field_errors": [{"code": "invalid", "detail": "Whole body wrong."}]
    }


def test_an_unexpected_exception_is_left_to_the_server():
    assert exception_handler(RuntimeError("bug"), {}) is None


# Through real endpoints: DRF's own refusals get the same shape.


@pytest.mark.django_db
def test_http_refusals_of_the_api_have_the_shape(manager):
    anonymous = APIClient()
    client = APIClient()
    client.force_authenticate(manager)

    responses = {
        "not_authenticated": (anonymous.get("/api/v1/orders/"), 401),
        "method_not_allowed": (client.put("/api/v1/orders/", {}), 405),
        "parse_error": (client.post("/api/v1/orders/", "{", content_type="application/json"), 400),
        "unsupported_media_type": (
            client.post("/api/v1/orders/", "a=1", content_type="text/plain"),
            415,
        ),
        "order_not_found": (client.get("/api/v1/orders/424242/"), 404),
    }

    for code, (response, status) in responses.items():
        assert response.status_code == status, (code, response.content)
        body = response.json()
        assert set(body) == {"code", "detail", "fields"}
        assert body["code"] == code
        assert body["detail"]


@pytest.mark.django_db
def test_shape_errors_name_list_items_like_the_services_do(manager, customer, contract, product):
    client = APIClient()
    client.force_authenticate(manager)

    response = client.post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "lines": [
                {"product": product.pk, "quantity": "1"},
                {"product": product.pk, "quantity": "1.23456"},
            ],
        },
    )

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert list(fields) == ["lines[1].quantity"]
    assert fields["lines[1].quantity"][0]["code"] == "max_decimal_places"
