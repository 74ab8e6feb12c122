"""Where a price came from: as data, stored with an order line (`OrderLine.price_origin`) and
in its history, and as text in the language of whoever reads it (`text`), never in the
language of whoever entered the line.

Kinds: `contract` (an individual contract price: `number`), `list` (an item of a price list:
`list`, `from`, and `q` for a quantity break), `derived` (a list computed from its base list:
as `list`, plus `base` and `adjust`), `cost_plus` (`list`, `cost`, `adjust`), `manual` (a
price entered by hand).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

MANUAL: dict[str, Any] = {"kind": "manual"}


def contract(number: str) -> dict[str, Any]:
    return {"kind": "contract", "number": number}


def item(list_name: str, valid_from: dt.date, min_quantity: Decimal) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": "list", "list": list_name, "from": valid_from.isoformat()}
    if min_quantity > 0:
        found["q"] = format(min_quantity.normalize(), "f")
    return found


def derived(item_origin: dict[str, Any], base_name: str, adjust: str) -> dict[str, Any]:
    return {**item_origin, "kind": "derived", "base": base_name, "adjust": adjust}


def cost_plus(list_name: str, cost: Decimal, adjust: str) -> dict[str, Any]:
    return {
        "kind": "cost_plus",
        "list": list_name,
        "cost": format(cost.normalize(), "f"),
        "adjust": adjust,
    }


def text(origin: dict[str, Any] | None) -> str:
    """The origin for people, in the active language ("contract 15/2026, individual price",
    "list Wholesale from 2026-11-01 (from 10)", "entered by hand"); "" for none."""
    if not origin:
        return ""
    kind = origin.get("kind")
    if kind == "contract":
        return _("contract %(number)s, individual price") % {"number": origin.get("number", "")}
    if kind == "manual":
        return _("entered by hand")
    if kind == "cost_plus":
        return _("list %(name)s (cost %(cost)s %(adjust)s %%)") % {
            "name": origin.get("list", ""),
            "cost": origin.get("cost", ""),
            "adjust": origin.get("adjust", ""),
        }
    found = _("list %(name)s from %(date)s") % {
        "name": origin.get("list", ""),
        "date": origin.get("from", ""),
    }
    if origin.get("q"):
        found += " " + _("(from %(q)s)") % {"q": origin["q"]}
    if kind == "derived":
        found += " " + _("(%(base)s %(adjust)s %%)") % {
            "base": origin.get("base", ""),
            "adjust": origin.get("adjust", ""),
        }
    return found
