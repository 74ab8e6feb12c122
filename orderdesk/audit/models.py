from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One business action or change, append-only, chained by hash within its stream.

    A stream is the record whose card shows the timeline ("orders.order:42"); an event about
    an order line, a document or a payment of that order goes into the order's stream.
    Writers hold the lock of the stream's root row, so `seq` runs without gaps.
    """

    stream = models.CharField(_("stream"), max_length=80)
    seq = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="audit_event_stream_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("history events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("history events are append-only")


class StreamHead(models.Model):
    """Where each stream's chain ends: its last `seq` and `hash`, moved forward in the same
    transaction as the events. A chain can be cut at its newest events without breaking a link;
    the head is what shows it (`verify_audit`). On PostgreSQL a trigger lets it only move
    forward and refuses DELETE and TRUNCATE (migration 0004)."""

    stream = models.CharField(_("stream"), max_length=80, primary_key=True)
    seq = models.PositiveIntegerField(_("last sequence"))
    hash = models.CharField(_("last hash"), max_length=64)

    class Meta:
        verbose_name = _("history stream head")
        verbose_name_plural = _("history stream heads")

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq}"
