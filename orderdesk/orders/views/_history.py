"""The order timeline as a person reads it: who, when, what, before -> after."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderdesk.pricing import sources as price_sources

from ..choices import FulfillmentStatus, OrderStatus, PaymentStatus
from ..models import Order, OrderLine
from ..registrations import DETAIL_LABELS, DETAIL_VALUES, action_label
from ..selectors import order_timeline
from ..templatetags.orders_tags import amount, qty

MODELS = {"orders.order": Order, "orders.orderline": OrderLine}
EXTRA_LABELS = {
    "schedule": gettext_lazy("delivery schedule"),
    "revision": gettext_lazy("revision"),
    # values a line's history holds that are no model field of that name
    "price_origin": gettext_lazy("price source"),
    "price_source": gettext_lazy("price source"),
    "discount_source": gettext_lazy("discount made of"),
}
VALUE_CHOICES = {
    "status": OrderStatus,
    "fulfillment_status": FulfillmentStatus,
    "payment_status": PaymentStatus,
}
DATA_LABELS = {
    "reason_name": gettext_lazy("Reason"),
    "reason": gettext_lazy("Reason"),
    "comment": gettext_lazy("Comment"),
    "revision": gettext_lazy("Revision"),
    "template": gettext_lazy("From template"),
    "copied_from": gettext_lazy("Copied from order"),
    "date": gettext_lazy("Rate date"),
}
AMOUNT_FIELDS = {
    "net_amount",
    "vat_amount",
    "gross_amount",
    "base_net_amount",
    "base_vat_amount",
    "base_gross_amount",
}
NUMBER_FIELDS = {
    "quantity",
    "unit_price",
    "list_price",
    "discount_percent",
    "vat_rate",
    "exchange_rate",
    "cancelled_quantity",
    "shipped_quantity",
    "reserved",
    "backordered",
}
LINE_REPR = re.compile(r"^\d+/(\d+) (.*)$")


def field_label(model, name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return name.replace("_", " ")


def data_label(name: str, *, in_line: bool = False) -> str:
    """The label of a detail's key; inside a per-line item the registered labels come first
    (its `date` is a schedule's, not the exchange rate's)."""
    first, then = (DETAIL_LABELS, DATA_LABELS) if in_line else (DATA_LABELS, DETAIL_LABELS)
    return str(first.get(name) or then.get(name, name))


def _line_item(item: dict[str, Any]) -> str:
    """A per-line item of the details ({position, quantity, reserved, ...}), as read."""
    rest = ", ".join(
        f"{data_label(k, in_line=True)} {show_value(k, v)}"
        for k, v in item.items()
        if k != "position"
    )
    return _("line %(position)s: %(rest)s") % {"position": item["position"], "rest": rest}


def show_value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(show_value(name, v) for v in value) or "—"
    if name == "price_origin" and isinstance(value, dict):  # in the reader's language
        return price_sources.text(value) or "—"
    if isinstance(value, dict) and "position" in value:
        return _line_item(value)
    if isinstance(value, str) and value in DETAIL_VALUES.get(name, {}):
        return str(DETAIL_VALUES[name][value])
    if name in VALUE_CHOICES:
        try:
            return str(VALUE_CHOICES[name](value).label)
        except ValueError:
            return str(value)
    if name in AMOUNT_FIELDS:
        return amount(value) or str(value)
    if name in NUMBER_FIELDS:
        return qty(value) or str(value)
    if isinstance(value, str) and (name.endswith("date") or name == "date"):
        try:
            return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    return str(value)


def _subject(event) -> str:
    if event.object_type != "orders.orderline":
        return ""
    m = LINE_REPR.match(event.object_repr or "")
    if m:
        return _("line %(position)s: %(product)s") % {"position": m[1], "product": m[2]}
    return event.object_repr


def history_entries(order: Order, user=None) -> list[dict[str, Any]]:
    """The order's events, newest first, each with labelled changes and details."""
    entries = []
    for event in order_timeline(order, user=user):
        model = MODELS.get(event.object_type)
        initial = event.action.endswith((".created", ".added"))
        changes = []
        for name, change in (event.changes or {}).items():
            if not isinstance(change, dict):
                continue
            before, after = change.get("from"), change.get("to")
            if initial and after in (None, "", []):
                continue
            changes.append(
                {
                    "name": name,
                    "label": field_label(model, name),
                    "before": show_value(name, before),
                    "after": show_value(name, after),
                    "initial": initial,
                }
            )
        details = [
            {"label": data_label(k), "value": show_value(k, v)}
            for k, v in (event.data or {}).items()
            if k not in (event.changes or {})
            and (k != "reason" or "reason_name" not in (event.data or {}))
        ]
        entries.append(
            {
                "id": event.pk,
                "action": event.action,
                "label": action_label(event.action),
                "subject": _subject(event),
                "when": event.occurred_at,
                "who": (event.actor.get_full_name() or event.actor.get_username())
                if event.actor
                else event.actor_name,
                "changes": changes,
                "details": details,
                "initial": initial,
                "kind": event.action.rsplit(".", 1)[-1],
            }
        )
    entries.reverse()
    return entries
