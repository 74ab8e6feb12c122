"""Replays the catalogue of bad inputs (docs/bad-inputs.md, cases in bad_inputs.py) through the
API: each is refused with its status and stable code, and nothing in the database changed.
Also: ids too large for the database are never a server error, whatever the filter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client

from .bad_inputs import CASES, HUGE, Case, R
from .routes import all_entries
from .world import World

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"

pytestmark = pytest.mark.django_db


def resolve(value: Any, world: World, role: str) -> Any:
    if isinstance(value, R):
        return getattr(world.record(value.name, role, value.scope), value.attr)
    if isinstance(value, dict):
        return {k: resolve(v, world, role) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, world, role) for v in value]
    return value


def path_of(template: str, world: World, role: str) -> str:
    def one(match: re.Match) -> str:
        name, _, scope = match[1].partition(":")
        return str(world.record(name, role, scope or "own").pk)

    return re.sub(r"\{(\w+(?::\w+)?)\}", one, template)


def database_state() -> dict[str, list]:
    """Every row of every orderdesk table (and the users): what a refusal must leave as is."""
    state = {}
    for model in apps.get_models():
        ours = model._meta.app_label in {"auth", "authtoken"} or model.__module__.startswith(
            "orderdesk."
        )
        if ours and model._meta.managed and not model._meta.proxy:
            state[model._meta.label] = list(model.objects.order_by("pk").values_list())
    return state


def send(client: Client, method: str, path: str, body: Any, headers: dict, query: dict):
    kwargs: dict[str, Any] = {"headers": headers}
    if method == "get":
        return client.get(path, query, **kwargs)
    data = body if isinstance(body, str) else json.dumps(body if body is not None else {})
    return getattr(client, method)(path, data, content_type="application/json", **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_its_code_and_changes_nothing(case: Case, world):
    client = Client()
    client.force_login(world.actor(case.role))
    with transaction.atomic():
        for method, path, body, headers in case.before:
            first = send(
                client,
                method,
                path_of(path, world, case.role),
                resolve(body, world, case.role),
                headers,
                {},
            )
            assert first.status_code < 300, first.content
        before = database_state()
        response = send(
            client,
            case.method,
            path_of(case.path, world, case.role),
            resolve(case.body, world, case.role),
            case.headers,
            resolve(case.query, world, case.role),
        )
        after = database_state()
        transaction.set_rollback(True)

    answer = response.json()
    assert (response.status_code, answer.get("code")) == (case.status, case.code), answer
    if case.names is not None:
        assert case.names in answer["fields"], answer
    changed = [label for label in before if before[label] != after[label]]
    assert not changed, f"a refused request changed {changed}"


def test_the_catalogue_documents_every_case_as_the_test_replays_it():
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"B\d\d", cells[0]):
            rows[cells[0]] = cells
    assert len(CASES) >= 40
    for case in CASES:
        assert case.id in rows, f"{case.id} is not in docs/bad-inputs.md"
        cells = rows[case.id]
        assert str(case.status) in cells[3], f"{case.id}: doc says {cells[3]}"
        assert f"`{case.code}`" in cells[4], f"{case.id}: doc says {cells[4]}"
    assert set(rows) == {c.id for c in CASES}, "rows in the doc without a case"


LIST_ENDPOINTS = [e for e in all_entries() if e.key.startswith("api/v1/") and not e.params]
ID_FILTERS = ("customer", "manager", "order", "item", "product", "group", "warehouse", "page")


@pytest.mark.parametrize("entry", LIST_ENDPOINTS, ids=[e.key for e in LIST_ENDPOINTS])
def test_an_id_too_large_for_the_database_is_never_a_server_error(entry, world):
    client = Client(raise_request_exception=False)
    client.force_login(world.actor("administrator"))
    path = "/" + entry.key.replace("^", "").replace("$", "")
    for name in ID_FILTERS:
        with transaction.atomic():
            response = client.get(path, {name: str(HUGE)})
            transaction.set_rollback(True)
        assert response.status_code < 500, f"{path}?{name}={HUGE}: {response.status_code}"
