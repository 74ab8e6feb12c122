"""Reading history and checking its chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Event
from .services import GENESIS, event_hash, hash_payload


def timeline(stream: str) -> QuerySet[Event]:
    return Event.objects.filter(stream=stream).order_by("seq")


@dataclass
class BrokenLink:
    stream: str
    seq: int
    event_id: int
    reason: str


def verify_chain(streams: list[str] | None = None) -> tuple[int, BrokenLink | None]:
    """Walk every stream in order and recompute each hash; return (events checked, first break)."""
    qs = Event.objects.order_by("stream", "seq")
    if streams:
        qs = qs.filter(stream__in=streams)
    checked = 0
    current_stream, prev_hash, expected_seq = None, GENESIS, 1
    for event in qs.iterator(chunk_size=2000):
        if event.stream != current_stream:
            current_stream, prev_hash, expected_seq = event.stream, GENESIS, 1
        checked += 1
        if event.seq != expected_seq:
            return checked, BrokenLink(event.stream, event.seq, event.pk, "sequence gap")
        if event.prev_hash != prev_hash:
            return checked, BrokenLink(event.stream, event.seq, event.pk, "previous hash differs")
        if event_hash(prev_hash, hash_payload(event)) != event.hash:
            return checked, BrokenLink(event.stream, event.seq, event.pk, "content changed")
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return checked, None
