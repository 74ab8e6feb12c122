"""The top navigation: each app registers its entries with the roles that see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from .roles import roles_of


@dataclass(frozen=True)
class NavItem:
    name: str
    label: str
    url_name: str
    order: int
    roles: frozenset[str] = field(default_factory=frozenset)  # empty = everyone
    badge: Callable | None = None


_ITEMS: dict[str, NavItem] = {}


def register_nav(name, label, url_name, *, order=100, roles=(), badge=None) -> None:
    _ITEMS[name] = NavItem(name, label, url_name, order, frozenset(roles), badge)


def menu_for(request) -> list[dict]:
    roles = roles_of(request.user)
    items = []
    for item in sorted(_ITEMS.values(), key=lambda i: i.order):
        if item.roles and not (item.roles & roles):
            continue
        url = reverse(item.url_name)
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": False,
                "badge": item.badge(request) if item.badge else None,
            }
        )
    # the longest matching prefix is the current section (/orders/templates/ is not /orders/)
    matching = [i for i in items if request.path.startswith(i["url"])]
    if matching:
        max(matching, key=lambda i: len(i["url"]))["active"] = True
    return items
