"""How a line's discount is made, as people read it, from the breakdown stored with the line
(`OrderLine.discount_breakdown`): in the language of whoever reads it, never of whoever entered
the line."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

STACKING_WORDS = {
    "exclusive": gettext_lazy("alone"),
    "additive": gettext_lazy("added"),
    "compound": gettext_lazy("compounded"),
}


def pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _number(value: Any) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal(0)


def discount_text(breakdown: dict[str, Any] | None) -> str:
    """ "Wholesale 5 % (added) + manual 3 % + order 2 %": the policies applied (those an
    exclusive one overrode are left out), the manual part, the order's part; "" for none."""
    if not breakdown:
        return ""
    parts = []
    for part in breakdown.get("auto", []):
        if part.get("applied"):
            stacking = part.get("stacking", "")
            parts.append(
                _("%(name)s %(p)s %% (%(stacking)s)")
                % {
                    "name": part.get("name", ""),
                    "p": pct(_number(part.get("percent"))),
                    "stacking": STACKING_WORDS.get(stacking, stacking),
                }
            )
    manual, order_part = (
        _number(breakdown.get("manual_percent")),
        _number(breakdown.get("order_percent")),
    )
    if manual:
        parts.append(_("manual %(p)s %%") % {"p": pct(manual)})
    if order_part:
        parts.append(_("order %(p)s %%") % {"p": pct(order_part)})
    return " + ".join(parts)
