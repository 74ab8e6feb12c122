"""Trade-terms reference data: customer groups, payment and delivery methods, payment terms
(instalment schedules). Administrator only; every change is recorded in the row's own stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from orderdesk.audit.services import diff, jsonable, record, snapshot
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.money import to_decimal

from ..choices import InstalmentTrigger, PaymentMethodKind
from ..models import (
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
    PaymentTermsInstalment,
)
from .checks import apply_changes, clean_text, code_taken, require_admin, save_unique

REFERENCE_FIELDS: dict[type[models.Model], list[str]] = {
    CustomerGroup: ["code", "name"],
    PaymentMethod: ["code", "name", "kind", "active"],
    DeliveryMethod: ["code", "name", "active"],
}


@atomic_with_retry
def _reference_save(model: type[models.Model], *, by, obj=None, **values) -> models.Model:
    """Create (obj=None) or change a code/name reference row. Administrator only.

    Raises `master_data_forbidden`, `unknown_field`, `code_required`, `name_required`,
    `code_taken`, `payment_method_kind_invalid`.
    """
    require_admin(by)
    fields = REFERENCE_FIELDS[model]
    if obj is None:
        obj, before, verb = model(), {}, "created"
    else:
        obj = model.objects.select_for_update().get(pk=obj.pk)
        before, verb = snapshot(obj, fields), "changed"
    apply_changes(obj, values, fields)
    clean_text(obj, ["code", "name"], required=("code", "name"))
    if model is PaymentMethod and obj.kind not in PaymentMethodKind.values:
        raise ValidationFailed(
            _("Unknown kind of payment method “%(k)s”.") % {"k": obj.kind},
            code="payment_method_kind_invalid",
            fields={"kind": obj.kind},
        )
    if model.objects.filter(code=obj.code).exclude(pk=obj.pk).exists():
        raise code_taken(obj.code)
    save_unique(obj, code_taken(obj.code))
    delta = diff(before, snapshot(obj, fields))
    if delta:
        name = f"{obj._meta.app_label}.{obj._meta.model_name}.{verb}"
        record(action=name, obj=obj, by=by, changes=delta)
    return obj


def customer_group_create(*, by, code: str, name: str) -> CustomerGroup:
    """A customer group (administrator); see _reference_save for the error codes."""
    return _reference_save(CustomerGroup, by=by, code=code, name=name)


def customer_group_update(*, by, group: CustomerGroup, **changes) -> CustomerGroup:
    return _reference_save(CustomerGroup, by=by, obj=group, **changes)


def payment_method_create(*, by, code: str, name: str, kind: str, active=True) -> PaymentMethod:
    """A payment method (administrator); see _reference_save for the error codes."""
    return _reference_save(PaymentMethod, by=by, code=code, name=name, kind=kind, active=active)


def payment_method_update(*, by, method: PaymentMethod, **changes) -> PaymentMethod:
    return _reference_save(PaymentMethod, by=by, obj=method, **changes)


def delivery_method_create(*, by, code: str, name: str, active=True) -> DeliveryMethod:
    """A delivery method (administrator); see _reference_save for the error codes."""
    return _reference_save(DeliveryMethod, by=by, code=code, name=name, active=active)


def delivery_method_update(*, by, method: DeliveryMethod, **changes) -> DeliveryMethod:
    return _reference_save(DeliveryMethod, by=by, obj=method, **changes)


# --- payment terms (instalment schedules) ---------------------------------------------------


@dataclass(frozen=True)
class InstalmentInput:
    """One part of a schedule as entered: 50 % 14 days after shipment."""

    share_percent: Decimal
    trigger: str
    days: int = 0


def _instalments(values: list[Any]) -> list[InstalmentInput]:
    """Check a schedule; raises `instalment_share_invalid`, `instalment_trigger_invalid`,
    `instalment_days_invalid`, `instalments_not_100` (shares must add up to exactly 100)."""
    items = []
    for n, value in enumerate(values):
        name = f"instalments[{n}]"
        item = value if isinstance(value, InstalmentInput) else InstalmentInput(**value)
        try:
            share = to_decimal(item.share_percent)
        except (TypeError, ValueError):
            share = Decimal(-1)
        if not (Decimal(0) < share <= 100) or share != share.quantize(Decimal("0.01")):
            raise ValidationFailed(
                _("A share must be more than 0 and at most 100 %, in hundredths."),
                code="instalment_share_invalid",
                fields={f"{name}.share_percent": str(item.share_percent)},
            )
        item = InstalmentInput(share_percent=share, trigger=item.trigger, days=item.days)
        items.append(item)
        if item.trigger not in InstalmentTrigger.values:
            raise ValidationFailed(
                _("Unknown due rule “%(t)s”.") % {"t": item.trigger},
                code="instalment_trigger_invalid",
                fields={f"{name}.trigger": item.trigger},
            )
        if not isinstance(item.days, int) or not (0 <= item.days <= 3650):
            raise ValidationFailed(
                _("Days must be between 0 and 3650."),
                code="instalment_days_invalid",
                fields={f"{name}.days": str(item.days)},
            )
    total = sum((i.share_percent for i in items), Decimal(0))
    if total != 100:
        raise ValidationFailed(
            _("The shares add up to %(t)s %%, not 100 %%.") % {"t": jsonable(total)},
            code="instalments_not_100",
            fields={"instalments": jsonable(total)},
        )
    return items


def _terms_snapshot(terms: PaymentTerms) -> dict[str, Any]:
    out = snapshot(terms, ["code", "name", "active"])
    out["instalments"] = [
        {"share_percent": jsonable(i.share_percent), "trigger": i.trigger, "days": i.days}
        for i in terms.instalments.order_by("position")
    ]
    return out


@atomic_with_retry
def _payment_terms_save(
    *, by, terms: PaymentTerms | None = None, instalments: list[Any] | None = None, **values
) -> PaymentTerms:
    """Create (terms=None, instalments required) or change payment terms; administrator only.

    Given `instalments` replace the schedule. Raises `master_data_forbidden`, `code_taken`,
    `code_required`, `name_required` and the schedule errors of `_instalments`.
    """
    require_admin(by)
    if terms is None:
        terms, before, verb = PaymentTerms(), {}, "created"
        instalments = instalments or []
    else:
        terms = PaymentTerms.objects.select_for_update().get(pk=terms.pk)
        before, verb = _terms_snapshot(terms), "changed"
    apply_changes(terms, values, ["code", "name", "active"])
    clean_text(terms, ["code", "name"], required=("code", "name"))
    items = _instalments(instalments) if instalments is not None else None
    if PaymentTerms.objects.filter(code=terms.code).exclude(pk=terms.pk).exists():
        raise code_taken(terms.code)
    save_unique(terms, code_taken(terms.code))
    if items is not None:
        terms.instalments.all().delete()
        PaymentTermsInstalment.objects.bulk_create(
            PaymentTermsInstalment(
                terms=terms,
                position=n,
                share_percent=i.share_percent,
                trigger=i.trigger,
                days=i.days,
            )
            for n, i in enumerate(items, start=1)
        )
        cache.bump()  # bulk_create sends no post_save: the cached schedules (core.cache)
    delta = diff(before, _terms_snapshot(terms))
    if delta:
        record(action=f"customers.paymentterms.{verb}", obj=terms, by=by, changes=delta)
    return terms


def payment_terms_create(
    *, by, code: str, name: str, instalments: list[Any], active: bool = True
) -> PaymentTerms:
    """New payment terms with their schedule; shares add up to 100 (`instalments_not_100`)."""
    return _payment_terms_save(by=by, code=code, name=name, active=active, instalments=instalments)


def payment_terms_update(
    *, by, terms: PaymentTerms, instalments: list[Any] | None = None, **changes
) -> PaymentTerms:
    """Change payment terms; given `instalments` replace the whole schedule."""
    return _payment_terms_save(by=by, terms=terms, instalments=instalments, **changes)
