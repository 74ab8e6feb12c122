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


class _Names(models.Aggregate):
    """The names joined by commas: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = models.CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def role_names(user_ref: str = "pk") -> models.Subquery:
    """The user's group names as one comma-joined value (a role code has no comma), for the
    statement that reads the user (`user_ref`: the user's id in it), so that `prime_roles`
    spares `roles_of` its own read."""
    from django.contrib.auth import get_user_model

    memberships = get_user_model().groups.through.objects.filter(user_id=models.OuterRef(user_ref))
    return models.Subquery(
        memberships.values("user_id").annotate(names=_Names("group__name")).values("names")[:1]
    )


def prime_roles(user, names: str | None) -> None:
    """Cache on `user` its roles from its comma-joined group names (read with the user by
    `role_names`, or by `roles_of` itself)."""
    found = frozenset(n for n in (names or "").split(",") if n)
    if user.is_superuser:
        found = found | {Role.ADMINISTRATOR}
    user._orderdesk_roles = found


def roles_of(user) -> frozenset[str]:
    """The role codes a user holds (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if getattr(user, "_orderdesk_roles", None) is None:
        prime_roles(user, ",".join(user.groups.values_list("name", flat=True)))
    return user._orderdesk_roles


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_admin(user) -> bool:
    return has_role(user, Role.ADMINISTRATOR)
