"""Roles are auth groups with fixed codes; a user may hold several."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_HEAD = "sales_head", _("Head of sales")
    CREDIT_CONTROLLER = "credit_controller", _("Credit controller")
    WAREHOUSE = "warehouse", _("Warehouse operator")
    ACCOUNTANT = "accountant", _("Accountant")
    ADMINISTRATOR = "administrator", _("Administrator")


def roles_of(user) -> frozenset[str]:
    """The role codes a user holds (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_orderdesk_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMINISTRATOR}
        user._orderdesk_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_admin(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)
