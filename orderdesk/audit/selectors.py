"""Reading history and checking its chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from .models import Event, StreamHead
from .services import GENESIS, event_hash, hash_payload


def timeline(stream: str) -> QuerySet[Event]:
    return Event.objects.filter(stream=stream).order_by("seq")


@dataclass
class BrokenLink:
    stream: str
    seq: int
    event_id: int | None
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


def verify_heads(streams: list[str] | None = None) -> BrokenLink | None:
    """Compare where each chain ends with its stream's head; return the first mismatch.

    Deleting the newest events of a stream (or all of them) leaves an intact chain behind:
    only the head, moved forward in the same transaction as every append, knows where it
    ended. Also reported: a stream with events but no head (the end is not anchored), and
    events beyond the head (written around `record_many`). Two queries, each one pass.
    """
    heads = StreamHead.objects.all()
    starts = Event.objects.filter(seq=1)
    if streams:
        heads = heads.filter(stream__in=streams)
        starts = starts.filter(stream__in=streams)
    at_head = Event.objects.filter(
        stream=OuterRef("stream"), seq=OuterRef("seq"), hash=OuterRef("hash")
    )
    beyond = Event.objects.filter(stream=OuterRef("stream"), seq__gt=OuterRef("seq"))
    head = heads.filter(~Exists(at_head) | Exists(beyond)).order_by("stream").first()
    if head is not None:
        last = Event.objects.filter(stream=head.stream).order_by("-seq").first()
        if last is None:
            reason = f"stream removed: no event left, its head is at seq {head.seq}"
        elif last.seq < head.seq:
            reason = f"newest events missing: the chain ends at seq {last.seq}, its head at seq {head.seq}"
        elif last.seq > head.seq:
            reason = f"events beyond the head: the chain ends at seq {last.seq}, its head at seq {head.seq}"
        else:
            reason = "last event differs from the head's hash"
        return BrokenLink(head.stream, head.seq, last.pk if last else None, reason)
    headless = (
        starts.filter(~Exists(StreamHead.objects.filter(stream=OuterRef("stream"))))
        .order_by("stream")
        .first()
    )
    if headless is not None:
        return BrokenLink(
            headless.stream, 1, headless.pk, "no head: the end of the chain is not anchored"
        )
    return None
