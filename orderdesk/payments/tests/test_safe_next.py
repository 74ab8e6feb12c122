"""A page's "next" takes the user back within this site only."""

import pytest
from django.test import RequestFactory

from orderdesk.payments.views import _safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/orders/1/", "/orders/1/"),
        ("//evil.example", "/payments/"),
        ("/\\evil.example", "/payments/"),
        ("https://evil.example/", "/payments/"),
        ("", "/payments/"),
    ],
)
def test_next_stays_on_this_site(target, expected):
    request = RequestFactory().post("/", {"next": target})
    assert _safe_next(request, "/payments/") == expected
