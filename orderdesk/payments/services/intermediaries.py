"""Intermediaries: payment agents, marketplaces and cash-on-delivery carriers, with their
commission terms and the column mapping of their payout reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record, snapshot
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.core.money import to_decimal
from orderdesk.core.services import base_currency, currency_get

from ..choices import IntermediaryKind
from ..models import Intermediary
from . import _common as c

FIELDS = (
    "code",
    "name",
    "kind",
    "tax_id",
    "iban",
    "contract_number",
    "contract_date",
    "currency",
    "commission_percent",
    "commission_fixed",
    "commission_withheld",
    "column_mapping",
    "delimiter",
    "is_active",
)
HISTORY_FIELDS = [f if f != "currency" else "currency_id" for f in FIELDS]


def _decimal(value: Any, field: str, *, upper: Decimal | None = None) -> Decimal:
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or (upper is not None and number >= upper):
        raise ValidationFailed(
            _("Commission must be a number from 0 (a percent below 100)."),
            code="commission_invalid",
            fields={field: str(value)},
        )
    return number


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    from .payouts import check_mapping

    out: dict[str, Any] = {}
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="field_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    for name, value in data.items():
        if name == "code":
            value = slugify(str(value or ""), allow_unicode=True)[:32]
            if not value:
                raise ValidationFailed(
                    _("Give the intermediary a code."), code="code_required", fields={"code": None}
                )
        elif name == "name":
            value = str(value or "").strip()
            if not value:
                raise ValidationFailed(
                    _("Give the intermediary a name."), code="name_required", fields={"name": None}
                )
        elif name == "kind":
            if value not in IntermediaryKind.values:
                raise ValidationFailed(
                    _("Unknown kind of intermediary."), code="kind_invalid", fields={"kind": value}
                )
        elif name == "currency":
            value = currency_get(getattr(value, "code", value))
        elif name == "commission_percent":
            value = _decimal(value, name, upper=Decimal(100))
        elif name == "commission_fixed":
            value = _decimal(value, name)
        elif name == "column_mapping":
            value = check_mapping(value or {})
        elif name == "delimiter":
            value = str(value or "")[:1]
        elif name in ("commission_withheld", "is_active"):
            value = bool(value)
        elif isinstance(value, str):
            value = value.strip()
        out[name] = value
    return out


@atomic_with_retry
def intermediary_create(*, by, **data: Any) -> Intermediary:
    """A new intermediary with its commission terms. Raises `payments_not_permitted`,
    `code_required`, `name_required`, `kind_invalid`, `commission_invalid`, `mapping_invalid`,
    `currency_unknown`, `field_unknown`, `intermediary_code_taken`."""
    c.require_manage(by, _("intermediary"))
    data.setdefault("currency", base_currency())
    data.setdefault("kind", IntermediaryKind.PAYMENT_AGENT)
    data.setdefault("code", data.get("name", ""))
    values = _clean(data)
    values.setdefault("name", "")
    if not values["name"]:
        _clean({"name": ""})
    try:
        with transaction.atomic():
            intermediary = Intermediary.objects.create(**values)
    except IntegrityError:
        raise ValidationFailed(
            _("The code “%(c)s” is taken.") % {"c": values["code"]},
            code="intermediary_code_taken",
            fields={"code": values["code"]},
        ) from None
    record(
        action="payments.intermediary.created",
        obj=intermediary,
        by=by,
        data=snapshot(intermediary, HISTORY_FIELDS),
    )
    return intermediary


@atomic_with_retry
def intermediary_update(*, by, intermediary: Any, **data: Any) -> Intermediary:
    """Change an intermediary's terms or mapping (reports imported before keep their own
    amounts). Raises what `intermediary_create` raises and `intermediary_not_found`."""
    c.require_manage(by, _("intermediary"))
    intermediary = intermediary_or_404(intermediary, lock=True)
    values = _clean(data)
    before = snapshot(intermediary, HISTORY_FIELDS)
    for name, value in values.items():
        setattr(intermediary, name, value)
    try:
        with transaction.atomic():
            intermediary.save()
    except IntegrityError:
        raise ValidationFailed(
            _("The code “%(c)s” is taken.") % {"c": values.get("code")},
            code="intermediary_code_taken",
            fields={"code": values.get("code")},
        ) from None
    after = snapshot(intermediary, HISTORY_FIELDS)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if changes:
        from orderdesk.audit.services import record_many, stream_of

        record_many(
            stream=stream_of(intermediary),
            by=by,
            entries=[Entry("payments.intermediary.changed", intermediary, changes, {})],
        )
    return intermediary


def intermediary_or_404(value: Any, *, lock: bool = False) -> Intermediary:
    qs = Intermediary.objects.select_for_update(of=("self",)) if lock else Intermediary.objects
    try:
        return qs.get(pk=int(getattr(value, "pk", value)))
    except (Intermediary.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such intermediary."), code="intermediary_not_found") from None
