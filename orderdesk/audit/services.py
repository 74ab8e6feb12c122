"""Writing history: one call per business action, append-only, hash-chained per stream."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, router, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from orderdesk.core.db import unit_of_work

from .models import Event, StreamHead

GENESIS = "0" * 64


def stream_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


def jsonable(value: Any) -> Any:
    """A value as it is stored and hashed: decimals and dates as strings, models by name."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as jsonable values (a related object by its name)."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = jsonable(value)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the fields whose value changed (a field only in
    `before` was removed: "to" is None)."""
    return {
        k: {"from": before.get(k), "to": after.get(k)}
        for k in {**before, **after}
        if before.get(k) != after.get(k)
    }


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256((prev_hash + blob).encode()).hexdigest()


def hash_payload(e: Event) -> dict[str, Any]:
    return {
        "stream": e.stream,
        "seq": e.seq,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "occurred_at": e.occurred_at.astimezone(dt.UTC).isoformat(),
        "changes": e.changes,
        "data": e.data,
    }


@dataclass
class Entry:
    """One event to append: what happened to which object, with before -> after."""

    action: str
    obj: models.Model
    changes: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


# --- the stream's head: read once per transaction, moved by a guarded upsert ------------------
#
# The head a transaction wrote stays its own until the transaction ends: the upsert holds the
# head's row lock (a new head's insert holds its key), so no other writer can move it. What can
# undo it is this transaction's own rollback — the whole transaction, or a savepoint the head was
# written in. A head written here is therefore remembered, per connection, with
#
# - the connection's list of on-commit callbacks at the time: Django replaces that list when the
#   transaction commits, when it rolls back and when any savepoint rolls back, so a remembered
#   head is dropped after any of those (`_known` compares the list by identity);
# - the savepoints open when it was written (`connection.savepoint_ids`): it is used only while
#   they are all still open, so a head written in a savepoint that was released is read again
#   (conservative; it also keeps a test's wrapping transaction from serving heads across the
#   service calls of one test, which production would not).
#
# And whatever the source of the head — remembered, read, or passed in by `prime_head()` — the
# upsert that moves it only does so when the stored head is the one the new events continue
# (`... DO UPDATE ... WHERE seq = %s AND hash = %s`). If it is not (a remembered head Django did
# not drop, a stale hint, a writer that forgot the root's lock), nothing has been written yet:
# the head is read again — the failed upsert holds its row lock now, so it stays put — and the
# events are rebuilt on it. A wrong head can cost two statements, never a forked chain.

_HEADS_ATTR = "_orderdesk_audit_heads"


@dataclass
class _Heads:
    hooks: list  # connection.run_on_commit when these heads were learned
    known: dict[str, tuple[int, str, tuple]] = field(default_factory=dict)


def _heads_of(conn) -> dict[str, tuple[int, str, tuple]] | None:
    """The heads this transaction wrote, or None when no transaction is open (or it is
    waiting for its rollback)."""
    if not conn.in_atomic_block or conn.needs_rollback:
        return None
    state = getattr(conn, _HEADS_ATTR, None)
    if state is None or state.hooks is not conn.run_on_commit:
        state = _Heads(conn.run_on_commit)
        setattr(conn, _HEADS_ATTR, state)
    return state.known


def _known(conn, stream: str) -> tuple[int, str] | None:
    known = _heads_of(conn)
    entry = known.get(stream) if known else None
    if entry is None:
        return None
    seq, hash_, sids = entry
    if tuple(conn.savepoint_ids[: len(sids)]) != sids:
        del known[stream]  # written in a savepoint that has ended since
        return None
    return seq, hash_


def _remember(conn, stream: str, seq: int, hash_: str) -> None:
    known = _heads_of(conn)
    if known is not None:
        known[stream] = (seq, hash_, tuple(conn.savepoint_ids))


def known_head(stream: str, using: str | None = None) -> tuple[int, str] | None:
    """(seq, hash) of `stream`'s head when this transaction knows it without a read."""
    return _known(connections[using or router.db_for_write(Event)], stream)


def prime_head(stream: str, seq: int, hash_: str, using: str | None = None) -> None:
    """Tell the rest of this transaction where `stream`'s head is, read in a statement made
    anyway (a subquery on the locked root row). The next `record_many()` on the stream skips
    its read; if the hint is stale, the guarded upsert notices and the head is read after all."""
    _remember(connections[using or router.db_for_write(Event)], stream, seq, hash_)


def _read_head(stream: str, using: str) -> tuple[int, str]:
    last = StreamHead.objects.using(using).filter(stream=stream).values_list("seq", "hash").first()
    if last is None:
        # a stream written before heads existed, or by a bulk loader that wrote no head
        last = (
            Event.objects.using(using)
            .filter(stream=stream)
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
    return (last[0], last[1]) if last else (0, GENESIS)


def _move_head(conn, stream: str, start: tuple[int, str], end: tuple[int, str]) -> bool:
    """Move the head from `start` to `end` in one statement; False (nothing changed) when the
    stored head is not `start`. A stream without a head row gets one."""
    q = conn.ops.quote_name
    table, key, seq, hash_ = (q(n) for n in (StreamHead._meta.db_table, "stream", "seq", "hash"))
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} ({key}, {seq}, {hash_}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({key}) DO UPDATE SET {seq} = EXCLUDED.{seq}, {hash_} = EXCLUDED.{hash_} "
            f"WHERE {table}.{seq} = %s AND {table}.{hash_} = %s",
            [stream, end[0], end[1], start[0], start[1]],
        )
        return cur.rowcount == 1


def _events(stream: str, entries: list[Entry], by) -> list[Event]:
    """The events of `entries` as they are now (what each object is called, its values),
    not yet on the chain: `_chain` gives them their place."""
    actor = by if getattr(by, "is_authenticated", False) else None
    actor_name = (actor.get_full_name() or actor.get_username()) if actor else "system"
    now = timezone.now()
    events = []
    for entry in entries:
        obj = entry.obj
        events.append(
            Event(
                stream=stream,
                action=entry.action,
                object_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                actor=actor,
                actor_name=actor_name[:150],
                occurred_at=now,
                changes=jsonable(entry.changes or {}),
                data=jsonable(entry.data or {}),
            )
        )
    return events


def _chain(events: list[Event], start: tuple[int, str]) -> None:
    seq, prev_hash = start
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = event_hash(prev_hash, hash_payload(event))
        prev_hash = event.hash


def _insert_moving_head(conn, stream: str, events: list[Event], start: tuple[int, str]) -> bool:
    """PostgreSQL: move the head from `start` over `events` and insert them in one statement
    (the head's guarded upsert as a data-modifying CTE, the insert of the events — Django's
    own UNNEST form — only when the head moved). False: the stored head is not `start`, and
    nothing was written."""
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    compiler = InsertQuery(Event).get_compiler(connection=conn)
    columns = list(
        zip(
            *[[compiler.prepare_value(f, f.pre_save(e, True)) for f in fields] for e in events],
            strict=True,
        )
    )
    q = conn.ops.quote_name
    head, key, seq, hash_ = (q(n) for n in (StreamHead._meta.db_table, "stream", "seq", "hash"))
    arrays = ", ".join(f"(%s)::{f.db_type(conn).split('(')[0]}[]" for f in fields)
    sql = (
        f"WITH moved AS (INSERT INTO {head} ({key}, {seq}, {hash_}) VALUES (%s, %s, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET {seq} = EXCLUDED.{seq}, {hash_} = EXCLUDED.{hash_} "
        f"WHERE {head}.{seq} = %s AND {head}.{hash_} = %s RETURNING 1) "
        f"INSERT INTO {q(Event._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
        f"SELECT * FROM UNNEST({arrays}) WHERE EXISTS (SELECT 1 FROM moved) "
        f"RETURNING {q(Event._meta.pk.column)}"
    )
    end = (events[-1].seq, events[-1].hash)
    with conn.cursor() as cur:
        cur.execute(sql, [stream, *end, *start, *[list(c) for c in columns]])
        ids = [row[0] for row in cur.fetchall()]
    if not ids:
        return False
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding, event._state.db = False, conn.alias
    return True


def _write(conn, using: str, stream: str, events: list[Event], new_stream: bool) -> None:
    """Put `events` on the chain of `stream`, move its head over them and insert them: on
    PostgreSQL in one statement (after a read of the head when this transaction does not know
    it and the stream is not new), elsewhere the head's upsert and the insert apart."""
    if conn.vendor != "postgresql":
        _append(conn, using, stream, events, new_stream)
        Event.objects.using(using).bulk_create(events)
        return
    start = (0, GENESIS) if new_stream else _known(conn, stream)
    if start is None:
        start = _read_head(stream, using)
    _chain(events, start)
    if not _insert_moving_head(conn, stream, events, start):
        # the head is not where we thought; the failed upsert holds its row now
        start = _read_head(stream, using)
        _chain(events, start)
        if not _insert_moving_head(conn, stream, events, start):
            raise RuntimeError(f"the head of {stream} moved while its row was locked")
    _remember(conn, stream, events[-1].seq, events[-1].hash)


def _append(conn, using: str, stream: str, events: list[Event], new_stream: bool) -> None:
    """Put `events` on the chain of `stream` and move its head over them (not the insert)."""
    start = (0, GENESIS) if new_stream else _known(conn, stream)
    if start is None:
        start = _read_head(stream, using)
    _chain(events, start)
    if not _move_head(conn, stream, start, (events[-1].seq, events[-1].hash)):
        # the head is not where we thought; the failed upsert holds its row now
        start = _read_head(stream, using)
        _chain(events, start)
        if not _move_head(conn, stream, start, (events[-1].seq, events[-1].hash)):
            raise RuntimeError(f"the head of {stream} moved while its row was locked")
    _remember(conn, stream, events[-1].seq, events[-1].hash)


# --- history deferred to the end of the unit of work ----------------------------------------
#
# Inside a service's unit of work (core.db.unit_of_work) the events are made when they are
# recorded (with the objects' values of that moment) and written when the unit ends, before
# its commit: each stream's head moves once, and all the events of the unit go in one
# insert, however many steps recorded them (a confirmation: the order's, the reservation's
# and the release's). A step in `core.db.savepoint()` that fails takes its events back. In a
# savepoint the unit does not know, events are written at once (their place on the chain is
# then before the unit's deferred ones).


class _Batch:
    def __init__(self, conn, using: str) -> None:
        self.conn, self.using = conn, using
        self.items: list[tuple[str, list[Event], bool]] = []

    def add(self, stream: str, events: list[Event], new_stream: bool) -> None:
        self.items.append((stream, events, new_stream))

    def checkpoint(self) -> int:
        return len(self.items)

    def rollback_to(self, mark: int) -> None:
        del self.items[mark:]

    def flush(self) -> None:
        streams: dict[str, tuple[list[Event], bool]] = {}
        for stream, events, new_stream in self.items:
            if stream in streams:
                streams[stream][0].extend(events)
            else:
                streams[stream] = (list(events), new_stream)
        self.items = []
        if not streams:
            return
        if self.conn.vendor == "postgresql":  # each stream's head and events in one statement
            for stream, (events, new_stream) in streams.items():
                _write(self.conn, self.using, stream, events, new_stream)
            return
        for stream, (events, new_stream) in streams.items():
            _append(self.conn, self.using, stream, events, new_stream)
        Event.objects.using(self.using).bulk_create(
            [e for events, _new in streams.values() for e in events]
        )


def record_many(
    *, stream: str, entries: list[Entry], by=None, new_stream: bool = False
) -> list[Event]:
    """Append `entries` to `stream` in order: move the head, then one insert of the events.

    The caller holds the lock of the stream's root row (the order, the customer), which
    keeps `seq` and the chain in one line. `new_stream=True` (the root was created in this
    transaction) skips reading the stream's head, and so does a head this transaction wrote
    itself (see above); otherwise the head is read first.

    The chain continues from the stream's head (`StreamHead`), not from its last event, and
    the head moves forward with one guarded upsert before the insert: were the newest events
    deleted, the next event still links to the hash they ended on and `verify_audit` shows the
    cut. The upsert also serializes writers of one stream on the head's row, so a writer that
    forgot the root's lock waits and continues the chain instead of forking it.

    Inside a unit of work (a service's transaction, `core.db.unit_of_work`) the events are
    made now and written at its end, with the rest of the unit's history (see above): the
    events returned get their `seq`, hashes and key then.
    """
    if not entries:
        return []
    using = router.db_for_write(Event)
    conn = connections[using]
    if not conn.in_atomic_block:  # the head and its events commit together, or neither
        with transaction.atomic(using=using):
            return record_many(stream=stream, entries=entries, by=by, new_stream=new_stream)
    events = _events(stream, entries, by)
    batch = (
        unit_of_work("audit", lambda: _Batch(conn, using)) if using == DEFAULT_DB_ALIAS else None
    )
    if batch is not None:
        batch.add(stream, events, new_stream)
        return events
    _write(conn, using, stream, events, new_stream)
    return events


def record(
    *,
    action: str,
    obj: models.Model,
    by=None,
    stream: str | None = None,
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event to `stream` (default: the object's own); see record_many()."""
    return record_many(
        stream=stream or stream_of(obj),
        entries=[Entry(action, obj, changes or {}, data or {})],
        by=by,
    )[0]
