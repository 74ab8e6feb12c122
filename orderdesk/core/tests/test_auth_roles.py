"""The user of a request comes with its roles in the same statement: the API's token lookup
(`TokenWithRoles`) and the session's user (`ThrottledModelBackend.get_user`); role checks
then read nothing. Refusals stay DRF's and Django's own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from orderdesk.core.auth import ThrottledModelBackend, TokenWithRoles
from orderdesk.core.roles import roles_of
from orderdesk.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def memberships_read(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "auth_user_groups" in q["sql"]]


def test_the_token_lookup_brings_the_roles():
    user = UserFactory(username="two-roles", roles=["sales_manager", "sales_head"])
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as ctx:
        found, token = TokenWithRoles().authenticate_credentials(key)
        roles = roles_of(found)
    assert (found, token.key) == (user, key)
    assert roles == {"sales_manager", "sales_head"}
    assert len(ctx.captured_queries) == 1 and "authtoken_token" in ctx.captured_queries[0]["sql"]


@pytest.mark.parametrize(
    ("roles", "superuser", "expected"),
    [([], False, set()), ([], True, {"administrator"}), (["warehouse"], True, {"warehouse", "administrator"})],
)  # fmt: skip
def test_roles_as_roles_of_reads_them(roles, superuser, expected):
    user = UserFactory(username=f"u-{len(roles)}-{superuser}", roles=roles, is_superuser=superuser)
    found, _token = TokenWithRoles().authenticate_credentials(Token.objects.create(user=user).key)
    assert roles_of(found) == expected
    fresh = type(user).objects.get(pk=user.pk)
    assert roles_of(fresh) == expected  # the same as the plain read


def test_an_unknown_token_and_an_inactive_user_are_refused_as_drf_refuses_them():
    user = UserFactory(username="gone", roles=["sales_manager"], is_active=False)
    key = Token.objects.create(user=user).key
    with pytest.raises(AuthenticationFailed, match="inactive"):
        TokenWithRoles().authenticate_credentials(key)
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        TokenWithRoles().authenticate_credentials("0" * 40)
    answer = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/orders/")
    assert answer.status_code == 401


def test_an_api_request_reads_the_memberships_once_with_the_token():
    user = UserFactory(username="api-user", roles=["sales_manager"])
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get("/api/v1/orders/")
    assert answer.status_code == 200
    [read] = memberships_read(ctx)
    assert "authtoken_token" in read


def test_the_session_user_comes_with_its_roles():
    user = UserFactory(username="page-user", roles=["accountant"])
    backend = ThrottledModelBackend()
    with CaptureQueriesContext(connection) as ctx:
        found = backend.get_user(user.pk)
        roles = roles_of(found)
    assert found == user and roles == {"accountant"} and len(ctx.captured_queries) == 1
    assert backend.get_user(10**9) is None
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None

    client = Client()
    user.is_active = True
    user.save()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/billing/")
    assert page.status_code == 200
    [read] = memberships_read(ctx)
    assert read.startswith('SELECT "auth_user"."id"')  # the session's user statement
