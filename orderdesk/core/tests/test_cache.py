"""The reference-data caches: served only under the token read in this transaction, and the
token changes with every committed change of a tracked model (core.cache)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderdesk.core import cache
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.models import Currency, ReferenceVersion
from orderdesk.core.services import currency_get

pytestmark = pytest.mark.django_db


def token() -> str:
    return ReferenceVersion.objects.get(pk=1).token


def loads(kind: str, value, calls: list) -> object:
    def loader():
        calls.append(value)
        return value

    return cache.cached(kind, loader)


def test_outside_a_scope_the_loader_runs_every_time():
    calls: list = []
    assert loads("t.outside", 1, calls) == 1
    assert loads("t.outside", 2, calls) == 2
    assert calls == [1, 2]


def test_under_the_same_token_the_value_is_loaded_once():
    calls: list = []
    with cache.scope("a"):
        assert loads("t.same", 1, calls) == 1
        assert loads("t.same", 2, calls) == 1
    with cache.scope("a"):
        assert loads("t.same", 3, calls) == 1
    assert calls == [1]


def test_another_token_loads_again():
    calls: list = []
    with cache.scope("a"):
        loads("t.other", 1, calls)
    with cache.scope("b"):
        assert loads("t.other", 2, calls) == 2
    assert calls == [1, 2]


def test_saving_a_tracked_model_writes_a_new_token():
    before = token()
    pln = Currency.objects.get(code="PLN")
    pln.name = "Polish zloty"
    pln.save()
    assert token() != before
    middle = token()
    Currency.objects.filter(code="PLN").delete()
    assert token() != middle


def test_a_rolled_back_change_leaves_the_old_token():
    before = token()
    with pytest.raises(RuntimeError), transaction.atomic():
        Currency.objects.filter(code="PLN").update(name="x")
        cache.bump()
        raise RuntimeError
    assert token() == before


def test_currency_get_in_a_scope_reads_no_statement_the_second_time():
    with cache.scope(token()):
        currency_get("UAH")
        with CaptureQueriesContext(connection) as ctx:
            assert currency_get("uah").code == "UAH"
        assert ctx.captured_queries == []


def test_a_currency_deactivated_by_another_process_is_refused_at_once():
    # given the currencies cached under the current token
    with cache.scope(token()):
        assert currency_get("PLN").active
    # when the currency is deactivated (a save: the token changes)
    pln = Currency.objects.get(code="PLN")
    pln.active = False
    pln.save()
    # then the next scope, with the new token, refuses it
    with cache.scope(token()), pytest.raises(ValidationFailed) as err:
        currency_get("PLN")
    assert err.value.code == "currency_unknown"


def test_version_subquery_reads_the_token_with_another_query():
    row = Currency.objects.annotate(ref=cache.version_subquery()).get(code="UAH")
    assert row.ref == token()
