"""Input checks shared by the master-data services (customers, terms, prices)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from orderdesk.core.errors import PermissionRefused, ValidationFailed

from ..selectors import is_administrator


def require_admin(by) -> None:
    """Master data is the administrator's; raises `master_data_forbidden`."""
    if by is not None and not is_administrator(by):
        raise PermissionRefused(
            _("Only an administrator may change this master data."), code="master_data_forbidden"
        )


def clean_text(obj: models.Model, names: list[str], required: tuple[str, ...] = ()) -> None:
    """Strip text fields; an empty required one -> `<field>_required`, too long -> `value_too_long`."""
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if not isinstance(value, str):
            continue
        value = value.strip()
        setattr(obj, name, value)
        if name in required and not value:
            raise ValidationFailed(
                _("“%(f)s” is required.") % {"f": field.verbose_name},
                code=f"{name}_required",
                fields={name: value},
            )
        if field.max_length and len(value) > field.max_length:
            raise ValidationFailed(
                _("“%(f)s” allows at most %(n)s characters.")
                % {"f": field.verbose_name, "n": field.max_length},
                code="value_too_long",
                fields={name: value[:40]},
            )


def check_email(value: str, name: str = "email") -> None:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValidationFailed(
                _("“%(v)s” is not an e-mail address.") % {"v": value},
                code="email_invalid",
                fields={name: value},
            ) from None


def save_unique(obj: models.Model, error: ValidationFailed) -> None:
    """Save; a unique key taken by a concurrent writer becomes `error`, not a 500."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise error from None


def apply_changes(obj: models.Model, changes: dict[str, Any], allowed: list[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(f)s.") % {"f": ", ".join(unknown)},
            code="unknown_field",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    for key, value in changes.items():
        setattr(obj, key, value)


def code_taken(code: str) -> ValidationFailed:
    return ValidationFailed(
        _("The code “%(c)s” is already used.") % {"c": code},
        code="code_taken",
        fields={"code": code},
    )
