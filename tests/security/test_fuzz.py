"""API fuzzing with schemathesis over the OpenAPI schema, as each role: no answer is a server
error, and every status code an operation answers is one its schema declares.

Bounded for CI: ORDERDESK_FUZZ_EXAMPLES examples per operation and role (default 4),
derandomized so a run is reproducible; `make soak` may raise the number. Path parameters are
often bound to real records of the world (tests/security/world.py), so the fuzzed bodies and
queries reach the services rather than stopping at 404. Each request runs in a savepoint that
is rolled back: what one example wrote is gone for the next.

schemathesis is a dev dependency pinned in requirements.lock; the test skips only on a
machine that installed the project without it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from contextlib import contextmanager

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.signals import request_finished, request_started  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections, transaction  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import status_code_conformance  # noqa: E402

from .world import ROLES  # noqa: E402

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ORDERDESK_FUZZ_EXAMPLES", "4"))
FUZZ_ROLES = [role for role in ROLES if role != "anonymous"]

# the path segment before a parameter -> the world record its id is bound to
RECORD_OF_SEGMENT = {
    "orders": "order",
    "lines": "line",
    "customers": "customer",
    "contacts": "contact",
    "contracts": "contract",
    "order-templates": "template",
    "price-lists": "price_list",
    "items": "price_item",
    "products": "product",
    "product-groups": "product_group",
    "warehouses": "warehouse",
    "customer-groups": "customer_group",
    "sales-teams": "sales_team",
    "payment-terms": "payment_terms",
    "payment-methods": "payment_method",
    "delivery-methods": "delivery_method",
    "currencies": "currency",
    "exchange-rates": "exchange_rate",
}
PARAM = re.compile(r"([\w-]+)/\{(\w+)\}")


@contextmanager
def in_process_requests():
    """Requests through the WSGI handler inside the test's transaction: Django closes "old"
    connections when a request starts and ends, which would end the transaction (its test
    client disconnects the same handler)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def fuzz_world(world):
    tokens = {role: Token.objects.create(user=world.actor(role)).key for role in FUZZ_ROLES}
    return world, tokens


@pytest.fixture(scope="module")
def api_schema(fuzz_world):
    with in_process_requests():
        return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def bound_ids(path: str, world, role: str) -> dict[str, str]:
    """Real ids for the path's parameters, from the role's own book (or the shared records)."""
    out = {}
    for segment, param in PARAM.findall(path):
        name = RECORD_OF_SEGMENT.get(segment)
        if name is None:
            continue
        record = world.record(name, role, "own")
        out[param] = record.pk
    return out


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def describe(exc: Exception) -> str:
    """The kinds of failure (`Server error`, `Undocumented status code`...) and the curl line
    that reproduces the case."""
    text = str(exc)
    kinds = sorted(set(re.findall(r"^\s*- (ST\d+ [^\n]+)$", text, re.M))) or [type(exc).__name__]
    curl = next((ln.strip() for ln in text.splitlines() if ln.strip().startswith("curl ")), "")
    return "; ".join(kinds) + (f"\n      {curl}" if curl else "")


def fuzz_operation(operation, *, ids: dict, headers: dict, failures: list[str], statuses: Counter):
    """A Hypothesis test of one operation: call it, keep what fails the checks."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), bind=st.booleans())
    def fuzz(case, bind):
        if bind and ids and case.path_parameters is not None:
            case.path_parameters.update(ids)
        with in_process_requests(), transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        statuses[response.status_code // 100] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
        except (AssertionError, BaseExceptionGroup) as exc:  # a FailureGroup of findings
            failures.append(f"{operation.method.upper()} {operation.path} -> {describe(exc)}")

    return fuzz


@pytest.mark.parametrize("role", FUZZ_ROLES)
def test_api_answers_no_server_error_and_only_declared_codes(role, api_schema, fuzz_world):
    world, tokens = fuzz_world
    headers = {"Authorization": f"Token {tokens[role]}"}
    failures: list[str] = []
    statuses: Counter = Counter()
    ops = list(operations(api_schema))
    for operation in ops:
        ids = bound_ids(operation.path, world, role)
        fuzz_operation(operation, ids=ids, headers=headers, failures=failures, statuses=statuses)()
    # the run reached the handlers: many operations, and answers other than refusals
    assert len(ops) >= 100, f"only {len(ops)} operations in the schema"
    assert statuses[2] > len(ops) // 4, f"too few successful answers: {dict(statuses)}"
    # one line per operation and kind of failure (the first reproduction of each)
    seen: dict[str, str] = {}
    for failure in failures:
        seen.setdefault(failure.split("\n")[0], failure)
    assert not seen, f"{len(seen)} problems as {role}:\n" + "\n".join(seen.values())
