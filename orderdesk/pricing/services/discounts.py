"""Discount policies: automatic discounts by customer group, product group, quantity tiers and
order amount tiers. The administrator's; each policy's history is its own stream (the policy
row is locked while it changes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry as AuditEntry
from orderdesk.audit.services import diff, jsonable, record_many, snapshot, stream_of
from orderdesk.catalog.models import ProductGroup
from orderdesk.core import cache
from orderdesk.core.db import atomic_with_retry
from orderdesk.core.errors import ValidationFailed
from orderdesk.core.money import to_decimal
from orderdesk.customers.models import CustomerGroup
from orderdesk.customers.services.checks import (
    apply_changes,
    clean_text,
    code_taken,
    require_admin,
    save_unique,
)

from .. import calculations as calc
from ..choices import TIER_KINDS, DiscountKind, Stacking
from ..models import DiscountPolicy

POLICY_FIELDS = [
    "code",
    "name",
    "kind",
    "customer_group",
    "product_group",
    "percent",
    "tiers",
    "valid_from",
    "valid_to",
    "priority",
    "stacking",
    "active",
]
MAX_PRIORITY = 32767

cache.track(DiscountPolicy, ProductGroup)


# --- reading: the rules an order is priced with ------------------------------------------------


def _tiers(raw: list[dict[str, Any]]) -> tuple[calc.Tier, ...]:
    return tuple(calc.Tier(Decimal(t["from"]), Decimal(t["percent"])) for t in raw or [])


def rule_of(policy: DiscountPolicy) -> calc.PolicyRule:
    return calc.PolicyRule(
        code=policy.code,
        name=policy.name,
        kind=policy.kind,
        percent=policy.percent,
        tiers=_tiers(policy.tiers),
        customer_group_id=policy.customer_group_id,
        product_group_id=policy.product_group_id,
        priority=policy.priority,
        stacking=policy.stacking,
    )


def discount_rules(on: dt.date) -> list[calc.PolicyRule]:
    """The active policies valid on `on`, as calculation rules (one query; none inside a
    reference-data scope, where the active policies come from the process cache)."""
    if cache.in_scope():
        return [
            rule
            for valid_from, valid_to, rule in cache.cached("pricing.discount_rules", _active_rules)
            if valid_from <= on and (valid_to is None or valid_to >= on)
        ]
    policies = DiscountPolicy.objects.filter(active=True, valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )
    return [rule_of(p) for p in policies]


def _active_rules() -> tuple[tuple[dt.date, dt.date | None, calc.PolicyRule], ...]:
    return tuple(
        (p.valid_from, p.valid_to, rule_of(p)) for p in DiscountPolicy.objects.filter(active=True)
    )


def product_group_lineage(group_ids) -> dict[int, frozenset[int]]:
    """Each given product group with its ancestors: a policy on a group covers its subgroups.
    One query over the (small) group table, none when no group is asked for."""
    wanted = {g for g in group_ids if g is not None}
    if not wanted:
        return {}
    parent = cache.cached(
        "catalog.product_group_parents",
        lambda: dict(ProductGroup.objects.values_list("pk", "parent_id")),
    )
    out = {}
    for gid in wanted:
        chain, current = set(), gid
        while current is not None and current not in chain:
            chain.add(current)
            current = parent.get(current)
        out[gid] = frozenset(chain)
    return out


# --- writing -------------------------------------------------------------------------------------


def parse_tiers(value: Any) -> list[dict[str, str]]:
    """A tier table from input: [{"from": x, "percent": y}, ...] in ascending order.

    Raises `tiers_invalid` (not a list of pairs), `number_invalid`, and the table checks of
    calculations.tier_problem: `tier_threshold_not_positive`, `discount_out_of_range`,
    `tiers_out_of_order` — each naming `tiers[i].from` or `tiers[i].percent`.
    """
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed(
            _("Tiers must be a list of thresholds with their discounts."),
            code="tiers_invalid",
            fields={"tiers": str(value)[:80]},
        )
    tiers = []
    for i, row in enumerate(value):
        if isinstance(row, dict):
            pair = (row.get("from", row.get("threshold")), row.get("percent"))
        elif isinstance(row, list | tuple) and len(row) == 2:
            pair = tuple(row)
        else:
            raise ValidationFailed(
                _("Tier %(n)s needs a threshold and a discount.") % {"n": i + 1},
                code="tiers_invalid",
                fields={f"tiers[{i}]": str(row)[:80]},
            )
        numbers = []
        for name, raw in zip(("from", "percent"), pair, strict=True):
            try:
                numbers.append(to_decimal(raw))
            except (TypeError, ValueError):
                raise ValidationFailed(
                    _("“%(v)s” is not a number.") % {"v": raw},
                    code="number_invalid",
                    fields={f"tiers[{i}].{name}": str(raw)},
                ) from None
        tiers.append(calc.Tier(numbers[0], numbers[1]))
    problem = calc.tier_problem(tiers)
    if problem is not None:
        i, name, code = problem
        messages = {
            "tier_threshold_not_positive": _("Tier %(n)s: the threshold must be above zero."),
            "discount_out_of_range": _("Tier %(n)s: a discount must be between 0 and 100 %%."),
            "tiers_out_of_order": _(
                "Tier %(n)s is out of order: thresholds must rise and discounts never fall."
            ),
        }
        value = tiers[i].threshold if name == "from" else tiers[i].percent
        raise ValidationFailed(
            messages[code] % {"n": i + 1},
            code=code,
            fields={f"tiers[{i}].{name}": jsonable(value)},
        )
    return [{"from": jsonable(t.threshold), "percent": jsonable(t.percent)} for t in tiers]


def _reference(model, value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model.objects.get(pk=value)
    except (model.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(
            _("Unknown %(f)s “%(v)s”.") % {"f": field, "v": value},
            code=f"{field}_unknown",
            fields={field: str(value)},
        ) from None


def _check_policy(policy: DiscountPolicy) -> None:
    """Raises `code_required`, `name_required`, `value_too_long`, `discount_kind_invalid`,
    `stacking_invalid`, `discount_out_of_range`, `priority_out_of_range`,
    `customer_group_required`, `product_group_required`, `tiers_required`, the tier codes of
    parse_tiers, `policy_period_invalid`."""
    clean_text(policy, ["code", "name"], required=("code", "name"))
    if policy.kind not in DiscountKind.values:
        raise ValidationFailed(
            _("Unknown kind of discount “%(v)s”.") % {"v": policy.kind},
            code="discount_kind_invalid",
            fields={"kind": str(policy.kind)},
        )
    if policy.stacking not in Stacking.values:
        raise ValidationFailed(
            _("Unknown stacking “%(v)s”.") % {"v": policy.stacking},
            code="stacking_invalid",
            fields={"stacking": str(policy.stacking)},
        )
    try:
        policy.percent = to_decimal(policy.percent if policy.percent is not None else 0)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("“%(v)s” is not a number.") % {"v": policy.percent},
            code="number_invalid",
            fields={"percent": str(policy.percent)},
        ) from None
    if not Decimal(0) <= policy.percent <= Decimal(
        100
    ) or policy.percent != policy.percent.quantize(Decimal("0.01")):
        raise ValidationFailed(
            _("A discount must be between 0 and 100 % with at most two decimals."),
            code="discount_out_of_range",
            fields={"percent": jsonable(policy.percent)},
        )
    if not isinstance(policy.priority, int) or not 0 <= policy.priority <= MAX_PRIORITY:
        raise ValidationFailed(
            _("The priority must be a whole number from 0 to %(m)s.") % {"m": MAX_PRIORITY},
            code="priority_out_of_range",
            fields={"priority": str(policy.priority)},
        )
    if policy.kind == DiscountKind.CUSTOMER_GROUP and policy.customer_group_id is None:
        raise ValidationFailed(
            _("Choose the customer group the discount is for."),
            code="customer_group_required",
            fields={"customer_group": None},
        )
    if policy.kind == DiscountKind.PRODUCT_GROUP and policy.product_group_id is None:
        raise ValidationFailed(
            _("Choose the product group the discount is for."),
            code="product_group_required",
            fields={"product_group": None},
        )
    policy.tiers = parse_tiers(policy.tiers)
    if policy.kind in TIER_KINDS and not policy.tiers:
        raise ValidationFailed(
            _("A tiered discount needs at least one tier."),
            code="tiers_required",
            fields={"tiers": []},
        )
    if policy.kind not in TIER_KINDS:
        policy.tiers = []
    if policy.valid_from is None or (
        policy.valid_to is not None and policy.valid_to < policy.valid_from
    ):
        raise ValidationFailed(
            _("The policy's period must start on or before its end."),
            code="policy_period_invalid",
            fields={
                "valid_from": jsonable(policy.valid_from),
                "valid_to": jsonable(policy.valid_to),
            },
        )


def _policy_snapshot(policy: DiscountPolicy) -> dict[str, Any]:
    return snapshot(policy, POLICY_FIELDS)


@atomic_with_retry
def discount_policy_save(*, by, policy: DiscountPolicy | None = None, **values) -> DiscountPolicy:
    """Create (policy=None) or change a discount policy; administrator only
    (`master_data_forbidden`). Input errors: see _check_policy, plus `code_taken`,
    `customer_group_unknown`, `product_group_unknown`, `unknown_field`. History: the policy's
    stream, before -> after."""
    require_admin(by)
    if policy is None:
        policy, before, verb = DiscountPolicy(), {}, "created"
        values.setdefault("valid_from", timezone.localdate())
    else:
        policy = DiscountPolicy.objects.select_for_update().get(pk=policy.pk)
        before, verb = _policy_snapshot(policy), "changed"
    if "customer_group" in values:
        values["customer_group"] = _reference(
            CustomerGroup, values["customer_group"], "customer_group"
        )
    if "product_group" in values:
        values["product_group"] = _reference(ProductGroup, values["product_group"], "product_group")
    apply_changes(policy, values, POLICY_FIELDS)
    _check_policy(policy)
    if DiscountPolicy.objects.filter(code=policy.code).exclude(pk=policy.pk).exists():
        raise code_taken(policy.code)
    save_unique(policy, code_taken(policy.code))
    delta = diff(before, _policy_snapshot(policy))
    if delta:
        record_many(
            stream=stream_of(policy),
            entries=[AuditEntry(f"pricing.discount_policy.{verb}", policy, delta)],
            by=by,
            new_stream=verb == "created",
        )
    return policy


def discount_policy_create(*, by, **values) -> DiscountPolicy:
    """A new discount policy (administrator); see discount_policy_save."""
    return discount_policy_save(by=by, **values)


def discount_policy_update(*, by, policy: DiscountPolicy, **changes) -> DiscountPolicy:
    """Change a discount policy (administrator); orders already priced keep their discounts
    until they are edited."""
    return discount_policy_save(by=by, policy=policy, **changes)
