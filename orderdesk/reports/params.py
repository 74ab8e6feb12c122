"""Report parameters: parsed from a query string (or a saved variant), validated, typed.

Every report declares the parameters it takes. Whatever else arrives is refused, so a typo
never silently widens a report:

- an unknown parameter: `filter_unknown` (400, the names in `fields`);
- a value of the wrong type (a date that is not one, an id that is not a number, a choice
  not offered): `filter_invalid`;
- `date_from` after `date_to`: `date_range_reversed`;
- aging buckets not positive or not strictly ascending: `buckets_invalid` /
  `buckets_out_of_order`;
- a grouping the report does not offer: `group_by_invalid`; a sort key that is not a column:
  `sort_invalid`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from orderdesk.core.errors import ValidationFailed

from . import calculations as calc

# A `ref` filter set to "none": the rows without one (no reason, no product group).
NONE = "none"
# Parameters of the pages and the API that are not report filters.
CONTROL = frozenset({"variant", "page", "page_size", "format"})


@dataclass(frozen=True)
class Param:
    """One parameter: `kind` is date | id | ids | ref (an id or "none") | choice | choices |
    int_list | text | sort."""

    name: str
    kind: str
    choices: tuple[str, ...] = ()
    default: Any = None


@dataclass
class Params:
    """Validated parameters: `values` typed, `query` the normalised strings (for links and
    saved variants)."""

    report: str
    values: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    # results read once per request for these parameters (aging rows serve rows and totals)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value in (None, [], ()) else value

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def _strings(raw: Mapping[str, Any], name: str) -> list[str]:
    """All values given for `name`: repeated keys and comma-separated lists alike."""
    if hasattr(raw, "getlist"):
        values = raw.getlist(name)
    else:
        value = raw.get(name)
        values = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        for part in str(value).split(","):
            part = part.strip()
            if part:
                out.append(part)
    return out


def _invalid(name: str, value: Any, detail: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        detail or _("“%(v)s” is not a valid value for %(f)s.") % {"v": value, "f": name},
        code="filter_invalid",
        fields={name: str(value)},
    )


def _parse_one(param: Param, texts: list[str]) -> Any:
    name, kind = param.name, param.kind
    if kind in ("date", "id", "ref", "choice", "text") and len(texts) > 1:
        raise _invalid(name, ",".join(texts), _("%(f)s takes one value.") % {"f": name})
    if kind == "date":
        try:
            return dt.date.fromisoformat(texts[0])
        except ValueError:
            raise _invalid(name, texts[0]) from None
    if kind == "ref" and texts[0] == "none":
        return NONE
    if kind in ("id", "ids", "ref"):
        try:
            ids = [int(t) for t in texts]
        except ValueError:
            raise _invalid(name, ",".join(texts)) from None
        if any(i <= 0 for i in ids):
            raise _invalid(name, ",".join(texts))
        return ids if kind == "ids" else ids[0]
    if kind in ("choice", "choices"):
        bad = [t for t in texts if t not in param.choices]
        if bad:
            raise ValidationFailed(
                _("%(f)s: “%(v)s” is not one of %(c)s.")
                % {"f": name, "v": ",".join(bad), "c": ", ".join(param.choices)},
                code="group_by_invalid" if name == "group_by" else "filter_invalid",
                fields={name: ",".join(bad)},
            )
        if kind == "choice":
            return texts[0]
        seen: list[str] = []
        for t in texts:
            if t not in seen:
                seen.append(t)
        return seen
    if kind == "int_list":
        try:
            return [int(t) for t in texts]
        except ValueError:
            raise ValidationFailed(
                _("Buckets are whole numbers of days: %(v)s.") % {"v": ",".join(texts)},
                code="buckets_invalid",
                fields={name: ",".join(texts)},
            ) from None
    if kind == "text":
        return texts[0][:200]
    if kind == "sort":
        return texts
    raise ValueError(f"unknown parameter kind {kind}")


def parse(report: str, spec: list[Param], raw: Mapping[str, Any]) -> Params:
    """Validate `raw` (a QueryDict or a dict from a saved variant) against `spec`."""
    known = {p.name for p in spec}
    given = [k for k in raw if k not in CONTROL]
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValidationFailed(
            _("Unknown filter: %(f)s.") % {"f": ", ".join(unknown)},
            code="filter_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    params = Params(report)
    for param in spec:
        texts = _strings(raw, param.name)
        if not texts:
            params.values[param.name] = param.default
            continue
        params.values[param.name] = _parse_one(param, texts)
        params.query[param.name] = ",".join(texts)
    date_from, date_to = params.values.get("date_from"), params.values.get("date_to")
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            _("The date range is reversed."),
            code="date_range_reversed",
            fields={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
    if "buckets" in params.values and params.values["buckets"] is not None:
        problem = calc.buckets_problem(params.values["buckets"])
        if problem == "buckets_out_of_order":
            raise ValidationFailed(
                _("Bucket bounds must go up: %(b)s.") % {"b": params.query.get("buckets")},
                code="buckets_out_of_order",
                fields={"buckets": params.query.get("buckets")},
            )
        if problem:
            raise ValidationFailed(
                _("Buckets are 1 to %(n)s positive numbers of days: %(b)s.")
                % {"n": calc.MAX_BUCKETS, "b": params.query.get("buckets")},
                code=problem,
                fields={"buckets": params.query.get("buckets")},
            )
    return params


def check_sort(params: Params, columns: list[str]) -> list[str]:
    """The sort keys (`-revenue`, `customer`) if each names a column; else `sort_invalid`."""
    keys = params.get("sort") or []
    bad = [k for k in keys if k.lstrip("-") not in columns]
    if bad:
        raise ValidationFailed(
            _("Cannot sort by %(k)s; sort by one of: %(c)s.")
            % {"k": ", ".join(bad), "c": ", ".join(columns)},
            code="sort_invalid",
            fields={"sort": ",".join(bad)},
        )
    return keys


def merged(saved: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A saved variant's parameters with what the request gives on top (the request wins)."""
    out: dict[str, Any] = {k: v for k, v in saved.items() if k not in CONTROL}
    for key in given:
        if key in CONTROL:
            continue
        values = given.getlist(key) if hasattr(given, "getlist") else given[key]
        out[key] = values
    return out
