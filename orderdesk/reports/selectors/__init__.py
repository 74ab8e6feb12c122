"""Report reads: the registry of reports, saved variants, dashboards.

Every report is scoped to what the user may see (see `permissions`) and runs on the replica
inside `routers.replica_reads()` when one is configured.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound
from orderdesk.core.roles import roles_of

from ..choices import NAME_OF, SLUG_OF, Visibility
from ..models import SavedReport
from ..params import Params, merged
from ..permissions import require_reports
from . import aging, cancellations, order_states, profitability
from .base import Report

REPORTS: dict[str, Report] = {
    r.name: r
    for r in (order_states.REPORT, aging.REPORT, cancellations.REPORT, profitability.REPORT)
}


def report_for(name_or_slug: str) -> Report:
    """The report by code or URL slug; `report_not_found` (404) for anything else."""
    name = NAME_OF.get(name_or_slug, name_or_slug)
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(_("No such report."), code="report_not_found")
    return report


def variants_for(user, report: str | None = None) -> QuerySet[SavedReport]:
    """Saved variants the user may use: own, and those shared with one of the user's roles."""
    q = Q(owner=user) | Q(visibility=Visibility.SHARED, shared_role__in=list(roles_of(user)))
    qs = SavedReport.objects.filter(q).select_related("owner")
    if report:
        qs = qs.filter(report=NAME_OF.get(report, report))
    return qs.order_by("report", "name", "pk")


def variant_get_for(*, user, pk: Any, report: str | None = None) -> SavedReport:
    """A variant the user may use; another user's private one (or none) is
    `variant_not_found` (404), never a hint that it exists."""
    try:
        return variants_for(user, report).get(pk=int(pk))
    except (SavedReport.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such saved report."), code="variant_not_found") from None


def params_for(*, user, report: Report, raw) -> tuple[Params, SavedReport | None]:
    """Validated parameters from a request: a saved variant's (`variant=<id>`), with the
    request's own on top. Raises the parameter errors and `variant_not_found`."""
    require_reports(user)
    variant = None
    if raw.get("variant"):
        variant = variant_get_for(user=user, pk=raw.get("variant"), report=report.name)
        raw = merged(variant.params, raw)
    return report.parse(raw), variant


__all__ = ["REPORTS", "SLUG_OF", "params_for", "report_for", "variant_get_for", "variants_for"]
