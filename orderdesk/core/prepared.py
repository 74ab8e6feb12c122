"""Querysets compiled once per database connection and run again with new integer values.

Building and compiling a wide queryset (many joins, annotated subqueries) costs milliseconds
of Python per call on a hot path, while its SQL never changes but for a key or two.
`Prepared(build)` calls `build(*markers)` once per connection, compiles it, finds each
marker among the parameters (in one place or several) and then, per call, runs that same
SQL with the values in the markers' places: the same statement, the same rows, the same
model instances (joined relations, annotations, prefetches: Django's own iterable reads the
rows).

The values are integers (keys), lists of distinct keys (`__in`; compiled once per
length) or dates (found as the date or as its ISO text, as the backend adapts it). `build` must
use each value as it is: a value derived from a marker (`day + 1`, `pk * 2`) would be
compiled as a constant. Any other value (not an int in 0..2**31-1, an empty list, a repeated key), or a
queryset where a marker cannot be found, runs `build(*values)` the usual way, so Django's
own answer (no rows, an error) stands for anything unusual. The cache lives on the
connection object: a thread (its own connection) never shares a compiler.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError

# markers: distinct, positive, in the 32-bit range (an out-of-range value, or a negative one
# for a positive field, compiles to "no rows" and loses its place in the parameters); value
# `i` is `_BASE + i * _STRIDE` when an int, `_BASE + i * _STRIDE + 1 + j` for item `j` of a
# list
_BASE, _STRIDE, _ARITY = 1_987_000_000, 1_000, 8
_LONGEST = _STRIDE - 1  # the longest list value taken; longer ones take the usual way
_RANGE = (0, 2**31 - 1)  # keys: anything else takes the usual way
_DATE = "date"  # the shape of a date value
_DAY0 = dt.date(1901, 1, 1)  # value `i` as a date marker: _DAY0 + i days


def _key(value: Any) -> int | None:
    """None for a key, the length for a list of distinct keys, "date" for a date, -1: not
    for the cache."""
    if type(value) is dt.date:
        return _DATE
    if type(value) is int:
        return None if _RANGE[0] <= value <= _RANGE[1] else -1
    if (
        type(value) in (list, tuple)
        and 0 < len(value) <= _LONGEST
        and all(type(v) is int and _RANGE[0] <= v <= _RANGE[1] for v in value)
        and len(set(value)) == len(value)
    ):
        return len(value)
    return -1


class Prepared:
    """`build(*values) -> QuerySet`, compiled once per connection (and per length of each
    list value); `rows(*values)`. Each value is a key (an int) or a list of distinct keys
    (for `__in`) or a date."""

    def __init__(self, build: Callable[..., QuerySet], *, arity: int = 1) -> None:
        if not 0 < arity <= _ARITY:
            raise ValueError("arity")
        self.build, self.arity = build, arity

    def _entry(self, connection, shape: tuple) -> tuple | None:
        cache = connection.__dict__.setdefault("_orderdesk_prepared", {})
        key = (self, shape)
        if key in cache:
            return cache[key]
        marks, where = [], {}
        for i, length in enumerate(shape):
            base = _BASE + i * _STRIDE
            if length == _DATE:
                day = _DAY0 + dt.timedelta(days=i)
                marks.append(day)
                where[day] = (i, None, None)
                where[day.isoformat()] = (i, None, "iso")
            elif length is None:
                marks.append(base)
                where[base] = (i, None, None)
            else:
                marks.append([base + 1 + j for j in range(length)])
                where.update({base + 1 + j: (i, j, None) for j in range(length)})
        qs = self.build(*marks)
        compiler = qs.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = [
            (k, where[p])
            for k, p in enumerate(params)
            if type(p) in (int, str, dt.date) and p in where
        ]
        entry = (qs, compiler, sql, params, slots)
        found = {(i, j) for _k, (i, j, _f) in slots}
        if found != {(i, j) for i, j, _f in where.values()}:
            entry = None  # a marker lost its place: this shape takes the usual way
        cache[key] = entry
        return entry

    def rows(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list:
        """What `build(*values)` reads (model instances with prefetches done, or the rows of
        `values()`)."""
        if len(values) != self.arity:
            raise TypeError(f"{self.arity} values expected")
        connection = connections[using]
        shape = tuple(_key(v) for v in values)
        entry = None if -1 in shape else self._entry(connection, shape)
        if entry is None:
            return list(self.build(*values).using(using))
        template, proto, sql, params, slots = entry
        query = template.query
        if (
            query.select_for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
            and connection.features.supports_transactions
        ):  # what the compiler checks on every call
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(params)
        for k, (i, j, form) in slots:
            value = values[i] if j is None else values[i][j]
            params[k] = value.isoformat() if form else value
        statement = (sql, tuple(params))
        compiler = copy.copy(proto)
        compiler.as_sql = lambda *args, **kwargs: statement
        run = template._clone()
        run._db = using
        run.query.get_compiler = lambda *args, **kwargs: compiler
        return list(run)


def as_get(qs: QuerySet) -> QuerySet:
    """`qs` shaped as `qs.get()` runs it: no ordering, at most MAX_GET_RESULTS rows."""
    from django.db.models.query import MAX_GET_RESULTS

    return qs.order_by()[:MAX_GET_RESULTS]


def as_first(qs: QuerySet) -> QuerySet:
    """`qs` shaped as `qs.first()` runs it: its ordering (else by key), one row."""
    return (qs if qs.ordered else qs.order_by("pk"))[:1]
