"""Panels that higher apps add to a lower app's page.

The customer card lives in `customers`, but contracts, orders, documents and credit sit in
apps above it. Rather than import upwards, a higher app registers a panel for a slot; the
page renders every panel registered for its slot, in `order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Panel:
    slot: str
    name: str
    order: int
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]


_PANELS: dict[str, list[Panel]] = {}


def register_panel(
    slot: str,
    name: str,
    *,
    template: str,
    context: Callable[[Any, Any], dict[str, Any] | None],
    order: int = 100,
) -> None:
    panels = [p for p in _PANELS.get(slot, []) if p.name != name]
    panels.append(Panel(slot, name, order, template, context))
    _PANELS[slot] = sorted(panels, key=lambda p: p.order)


def render_panels(slot: str, request, obj) -> SafeString:
    """Render the panels of `slot` for `obj`; a panel whose context is None is not shown."""
    parts = []
    for panel in _PANELS.get(slot, []):
        ctx = panel.context(request, obj)
        if ctx is None:
            continue
        parts.append(render_to_string(panel.template, {**ctx, "object": obj}, request=request))
    return mark_safe("".join(parts))
