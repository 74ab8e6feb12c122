"""Limits on discounts and prices: the order limits and the price floor (one row), manual
discount caps per role, discount budgets per manager. The administrator's.

Every write locks the one `PricingLimits` row first: it is the root of the limits' history
stream, so the chain stays in one line, and writers of limits queue there.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, diff, jsonable, record_many, snapshot, stream_of
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.money import to_decimal
from orderdesk.core.roles import Role
from orderdesk.customers.services.checks import apply_changes, require_admin

from ..models import DiscountBudget, PricingLimits, RoleDiscountCap

LIMIT_FIELDS = [
    "max_order_discount_percent",
    "max_order_discount_amount",
    "min_margin_percent",
    "order_amount_threshold",
]
BUDGET_FIELDS = ["manager", "period_start", "period_end", "amount"]


def pricing_limits() -> PricingLimits:
    """The limits row (created empty if a database was set up without the seed)."""
    limits, _created = PricingLimits.objects.get_or_create(pk=1)
    return limits


def _lock_limits(by) -> PricingLimits:
    require_admin(by)
    pricing_limits()
    return PricingLimits.objects.select_for_update().get(pk=1)


def _number(value: Any, name: str, *, places: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = to_decimal(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not a number.") % {"v": value},
            code="number_invalid",
            fields={name: str(value)},
        ) from None
    if result != result.quantize(Decimal(1).scaleb(-places)) or abs(result) >= Decimal(10) ** 16:
        raise ValidationFailed(
            _("%(f)s allows at most %(p)s decimal places.") % {"f": name, "p": places},
            code="number_precision",
            fields={name: str(value)},
        )
    return result


def _percent(
    value: Any, name: str, *, below_100: bool = False, code: str = "percent_out_of_range"
) -> Decimal | None:
    result = _number(value, name, places=2)
    if result is not None and (not 0 <= result <= 100 or (below_100 and result == 100)):
        raise ValidationFailed(
            _("A percent must be between 0 and 100."), code=code, fields={name: str(value)}
        )
    return result


def _amount(value: Any, name: str) -> Decimal | None:
    result = _number(value, name, places=2)
    if result is not None and result < 0:
        raise ValidationFailed(
            _("An amount cannot be negative."), code="amount_negative", fields={name: str(value)}
        )
    return result


@atomic_with_retry
def pricing_limits_update(*, by, **values) -> PricingLimits:
    """Set the order limits and the price floor (empty = no limit): the largest total discount
    of one order in percent and in the base currency, the minimum margin (%, below 100; empty:
    the floor is the cost), the order amount above which an order needs approval.

    Raises `master_data_forbidden`, `unknown_field`, `number_invalid`, `number_precision`,
    `discount_out_of_range`, `percent_out_of_range`, `amount_negative`.
    """
    limits = _lock_limits(by)
    before = snapshot(limits, LIMIT_FIELDS)
    if set(values) - set(LIMIT_FIELDS):
        apply_changes(limits, values, LIMIT_FIELDS)  # raises unknown_field
    checked = {}
    for name, value in values.items():
        if name == "min_margin_percent":
            checked[name] = _percent(value, name, below_100=True)
        elif name.endswith("_percent"):
            checked[name] = _percent(value, name, code="discount_out_of_range")
        else:
            checked[name] = _amount(value, name)
    apply_changes(limits, checked, LIMIT_FIELDS)
    limits.save()
    delta = diff(before, snapshot(limits, LIMIT_FIELDS))
    if delta:
        record_many(
            stream=stream_of(limits),
            entries=[Entry("pricing.limits.changed", limits, delta)],
            by=by,
        )
    return limits


@atomic_with_retry
def role_caps_set(*, by, caps: dict[str, Any]) -> list[RoleDiscountCap]:
    """Set the manual discount cap of roles ({role: percent}; None removes the role's cap, so
    that role's manual discounts all need approval). Raises `master_data_forbidden`,
    `role_unknown`, `discount_out_of_range`."""
    limits = _lock_limits(by)
    existing = {c.role: c for c in RoleDiscountCap.objects.select_for_update()}
    entries = []
    for role, value in caps.items():
        if role not in Role.values:
            raise ValidationFailed(
                _("Unknown role “%(r)s”.") % {"r": role},
                code="role_unknown",
                fields={f"caps.{role}": str(value)},
            )
        cap = _percent(value, f"caps.{role}", code="discount_out_of_range")
        old = existing.get(role)
        before = jsonable(old.max_manual_discount) if old else None
        if cap is None:
            if old is not None:
                old.delete()
        elif old is None:
            existing[role] = RoleDiscountCap.objects.create(role=role, max_manual_discount=cap)
        else:
            old.max_manual_discount = cap
            old.save(update_fields=["max_manual_discount"])
        after = jsonable(cap)
        if before != after:
            entries.append(
                Entry(
                    "pricing.limits.role_cap_changed",
                    limits,
                    {f"max_manual_discount.{role}": {"from": before, "to": after}},
                    {"role": role},
                )
            )
    record_many(stream=stream_of(limits), entries=entries, by=by)
    return list(RoleDiscountCap.objects.order_by("role"))


def _check_budget(budget: DiscountBudget) -> None:
    """Raises `manager_unknown`, `budget_period_invalid`, `amount_negative`,
    `budget_period_overlap` (the manager has another budget on some of the same days)."""
    if budget.manager_id is None:
        raise ValidationFailed(
            _("Choose the manager."), code="manager_unknown", fields={"manager": None}
        )
    if (
        not isinstance(budget.period_start, dt.date)
        or not isinstance(budget.period_end, dt.date)
        or budget.period_end < budget.period_start
    ):
        raise ValidationFailed(
            _("The budget's period must start on or before its end."),
            code="budget_period_invalid",
            fields={
                "period_start": jsonable(budget.period_start),
                "period_end": jsonable(budget.period_end),
            },
        )
    budget.amount = _amount(budget.amount, "amount")
    if budget.amount is None:
        raise ValidationFailed(
            _("Enter the budget amount."), code="amount_required", fields={"amount": None}
        )
    clash = (
        DiscountBudget.objects.filter(
            manager_id=budget.manager_id,
            period_start__lte=budget.period_end,
            period_end__gte=budget.period_start,
        )
        .exclude(pk=budget.pk)
        .first()
    )
    if clash is not None:
        raise ValidationFailed(
            _("The manager already has a budget from %(f)s to %(t)s.")
            % {"f": clash.period_start.isoformat(), "t": clash.period_end.isoformat()},
            code="budget_period_overlap",
            fields={"period_start": jsonable(budget.period_start), "conflicts_with": clash.pk},
        )


def _manager(value: Any):
    User = get_user_model()
    if isinstance(value, User):
        return value
    try:
        return User.objects.get(pk=value, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown user “%(v)s”.") % {"v": value},
            code="manager_unknown",
            fields={"manager": str(value)},
        ) from None


@atomic_with_retry
def discount_budget_save(*, by, budget: DiscountBudget | None = None, **values) -> DiscountBudget:
    """Create (budget=None) or change a manager's discount budget for a period (base
    currency). Input errors: see _check_budget, `unknown_field`."""
    limits = _lock_limits(by)
    if budget is None:
        budget, before, verb = DiscountBudget(), {}, "added"
    else:
        budget = DiscountBudget.objects.select_for_update().get(pk=budget.pk)
        before, verb = snapshot(budget, BUDGET_FIELDS), "changed"
    if "manager" in values:
        values["manager"] = _manager(values["manager"])
    apply_changes(budget, values, BUDGET_FIELDS)
    _check_budget(budget)
    budget.save()
    delta = diff(before, snapshot(budget, BUDGET_FIELDS))
    if delta:
        record_many(
            stream=stream_of(limits),
            entries=[Entry(f"pricing.limits.budget_{verb}", budget, delta)],
            by=by,
        )
    return budget


def discount_budget_create(*, by, **values) -> DiscountBudget:
    return discount_budget_save(by=by, **values)


def discount_budget_update(*, by, budget: DiscountBudget, **changes) -> DiscountBudget:
    return discount_budget_save(by=by, budget=budget, **changes)


@atomic_with_retry
def discount_budget_remove(*, by, budget: DiscountBudget) -> None:
    """Remove a budget (the manager's discounts of that period are then unlimited)."""
    limits = _lock_limits(by)
    budget = DiscountBudget.objects.select_for_update().get(pk=budget.pk)
    gone = {k: {"from": v, "to": None} for k, v in snapshot(budget, BUDGET_FIELDS).items()}
    record_many(
        stream=stream_of(limits),
        entries=[Entry("pricing.limits.budget_removed", budget, gone)],
        by=by,
    )
    budget.delete()
