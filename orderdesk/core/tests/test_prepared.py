"""core.prepared: a queryset compiled once per connection reads what Django itself reads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.db.models import Subquery
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from orderdesk.core.prepared import Prepared, as_first, as_get

pytestmark = pytest.mark.django_db


class Counted:
    """A build function that counts its calls."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, *values):
        self.calls += 1
        return self.build(*values)


@pytest.fixture
def users():
    group = Group.objects.create(name="prepared-test")
    made = [User.objects.create(username=f"prep{i}", first_name=f"P{i}") for i in range(4)]
    made[1].groups.add(group)
    return made


def test_a_key_reads_the_same_instances_and_compiles_once(users):
    build = Counted(lambda pk: as_get(User.objects.select_related(None).filter(pk=pk)))
    prepared = Prepared(build)

    for i, user in enumerate(users):
        (row,) = prepared.rows(user.pk)
        assert (row.pk, row.username, row.first_name) == (user.pk, user.username, f"P{i}")
    assert prepared.rows(max(u.pk for u in users) + 1000) == []
    assert build.calls == 1  # the markers, once for this connection


def test_the_statement_is_djangos_own(users):
    prepared = Prepared(lambda pk: as_get(User.objects.filter(pk=pk)))
    with CaptureQueriesContext(connection) as django_own:
        User.objects.get(pk=users[0].pk)
    prepared.rows(users[1].pk)  # compiled
    with CaptureQueriesContext(connection) as ours:
        prepared.rows(users[0].pk)
    assert [q["sql"] for q in ours.captured_queries] == [
        q["sql"] for q in django_own.captured_queries
    ]


def test_a_marker_in_several_places_and_several_values(users):
    def build(pk, other):
        names = User.objects.filter(pk=other).values("username")[:1]
        return as_first(
            User.objects.filter(pk=pk)
            .annotate(a=Subquery(names), b=Subquery(names))
            .values("username", "a", "b")
        )

    prepared = Prepared(build, arity=2)
    prepared.rows(users[3].pk, users[3].pk)
    assert prepared.rows(users[0].pk, users[2].pk) == [
        {"username": "prep0", "a": "prep2", "b": "prep2"}
    ]
    assert prepared.rows(users[1].pk, users[1].pk) == [
        {"username": "prep1", "a": "prep1", "b": "prep1"}
    ]


def test_lists_of_keys_compile_per_length(users):
    build = Counted(lambda keys: User.objects.filter(pk__in=keys).order_by("pk"))
    prepared = Prepared(build)
    pks = [u.pk for u in users]

    assert [u.pk for u in prepared.rows(pks[:2])] == pks[:2]
    assert [u.pk for u in prepared.rows(pks[2:])] == pks[2:]
    assert [u.pk for u in prepared.rows(pks[1:])] == pks[1:]
    assert build.calls == 2  # lengths 2 and 3


@pytest.mark.parametrize("value", [None, -1, "x", "7", 2**40, [], [1, 1], [None], 1.5])
def test_anything_else_takes_the_usual_way(users, value):
    build = Counted(lambda v: User.objects.filter(pk__in=v) if isinstance(v, list) else (
        User.objects.filter(pk=v)
    ))  # fmt: skip
    prepared = Prepared(build)
    try:
        expected = list(build.build(value))
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            prepared.rows(value)
    else:
        assert prepared.rows(value) == expected
    assert build.calls == 1  # the value itself, never markers


def test_prefetches_and_joins_come_with_the_rows(users):
    prepared = Prepared(lambda pk: User.objects.filter(pk=pk).prefetch_related("groups"))
    prepared.rows(users[0].pk)
    (row,) = prepared.rows(users[1].pk)
    with CaptureQueriesContext(connection) as queries:
        assert [g.name for g in row.groups.all()] == ["prepared-test"]
    assert queries.captured_queries == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="SQLite: no FOR UPDATE to refuse"
)
def test_for_update_outside_a_transaction_is_refused_every_time(users):
    prepared = Prepared(lambda pk: User.objects.select_for_update().filter(pk=pk))
    for _ in range(2):
        with pytest.raises(TransactionManagementError):
            prepared.rows(users[0].pk)


def test_a_date_in_several_places_reads_what_django_reads(users):
    import datetime as dt

    from django.utils import timezone

    for i, user in enumerate(users):
        user.date_joined = timezone.make_aware(dt.datetime(2026, 1, 1 + i * 10))
        user.save(update_fields=["date_joined"])

    def build(day, pk):  # the date in two places, as the backend adapts it (date or text)
        return (
            User.objects.filter(date_joined__date__lte=day, pk__gte=pk)
            .exclude(date_joined__date=day)
            .order_by("pk")
            .values_list("username", flat=True)
        )

    counted = Counted(build)
    prepared = Prepared(counted, arity=2)
    first = min(u.pk for u in users)
    days = (dt.date(2026, 1, 1), dt.date(2026, 1, 11), dt.date(2026, 1, 25), dt.date(2027, 1, 1))
    seen = [prepared.rows(day, first) for day in days]
    assert seen == [list(build(day, first)) for day in days]
    assert [len(rows) for rows in seen] == [0, 1, 3, 4]  # the 1st, 11th, 21st, 31st of January
    assert prepared.rows(dt.date(2026, 1, 15), users[1].pk) == [users[1].username]
    assert counted.calls == 1
