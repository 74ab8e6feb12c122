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
from django.db import models
from django.utils import timezone

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


def record_many(
    *, stream: str, entries: list[Entry], by=None, new_stream: bool = False
) -> list[Event]:
    """Append `entries` to `stream` in order, in one insert.

    The caller holds the lock of the stream's root row (the order, the customer), which
    keeps `seq` and the chain in one line; a writer that forgot it fails on the unique
    (stream, seq) instead of forking the chain. `new_stream=True` (the root was created in
    this transaction) skips reading the stream's head.

    The chain continues from the stream's head (`StreamHead`), not from its last event, and
    the head moves forward with one upsert after the insert: were the newest events deleted,
    the next event still links to the hash they ended on and `verify_audit` shows the cut.
    """
    if not entries:
        return []
    last = None
    if not new_stream:
        last = StreamHead.objects.filter(stream=stream).values_list("seq", "hash").first()
        if last is None:
            # a stream written before heads existed, or by a bulk loader that wrote no head
            last = (
                Event.objects.filter(stream=stream)
                .order_by("-seq")
                .values_list("seq", "hash")
                .first()
            )
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    actor = by if getattr(by, "is_authenticated", False) else None
    actor_name = (actor.get_full_name() or actor.get_username()) if actor else "system"
    now = timezone.now()
    events = []
    for entry in entries:
        seq += 1
        obj = entry.obj
        event = Event(
            stream=stream,
            seq=seq,
            action=entry.action,
            object_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            actor=actor,
            actor_name=actor_name[:150],
            occurred_at=now,
            changes=jsonable(entry.changes or {}),
            data=jsonable(entry.data or {}),
            prev_hash=prev_hash,
        )
        event.hash = event_hash(prev_hash, hash_payload(event))
        prev_hash = event.hash
        events.append(event)
    Event.objects.bulk_create(events)
    # after the insert: a writer that forgot the root's lock fails on (stream, seq) first
    StreamHead.objects.bulk_create(
        [StreamHead(stream=stream, seq=seq, hash=prev_hash)],
        update_conflicts=True,
        unique_fields=["stream"],
        update_fields=["seq", "hash"],
    )
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
