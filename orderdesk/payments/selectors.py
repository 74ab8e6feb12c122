"""Reading links, provider payments, holds, intermediaries and payout reports: scoped to what
the user may see, shaped against N+1."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from orderdesk.billing.models import Invoice
from orderdesk.billing.selectors import document_get_for
from orderdesk.core.errors import NotFound, ValidationFailed

from .choices import HoldStatus, LineStatus, LinkStatus, Provider
from .models import (
    Intermediary,
    IntermediaryEntry,
    PaymentHold,
    PaymentLink,
    PayoutLine,
    PayoutReport,
    ProviderEvent,
)
from .permissions import can_manage, can_read_all, link_scope

LINK_FILTERS = {"status", "provider", "invoice", "order", "customer", "q"}


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Invalid filter value."), code="filter_invalid", fields={name: str(value)}
        ) from None


def _filters(filters: dict[str, Any] | None, allowed: set[str]) -> dict[str, Any]:
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(filters) - allowed
    if unknown:
        raise ValidationFailed(
            _("Unknown filter: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="filter_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    return filters


def link_list_for(user, filters: dict[str, Any] | None = None) -> QuerySet[PaymentLink]:
    """Links the user may see (`filter_unknown`, `filter_invalid`)."""
    filters = _filters(filters, LINK_FILTERS)
    qs = PaymentLink.objects.filter(link_scope(user)).select_related(
        "invoice", "order", "customer", "payment"
    )
    if "status" in filters:
        if filters["status"] not in LinkStatus.values:
            raise ValidationFailed(
                _("Unknown status."), code="filter_invalid", fields={"status": filters["status"]}
            )
        qs = qs.filter(status=filters["status"])
    if "provider" in filters:
        if filters["provider"] not in Provider.values:
            raise ValidationFailed(
                _("Unknown payment service."),
                code="filter_invalid",
                fields={"provider": filters["provider"]},
            )
        qs = qs.filter(provider=filters["provider"])
    for name in ("invoice", "order", "customer"):
        if name in filters:
            qs = qs.filter(**{f"{name}_id": _int(filters[name], name)})
    if "q" in filters:
        text = str(filters["q"]).strip()
        qs = qs.filter(
            Q(reference__icontains=text)
            | Q(invoice__number__icontains=text)
            | Q(order__number__icontains=text)
            | Q(customer__short_name__icontains=text)
        )
    return qs.order_by("-created_at", "-pk")


def link_get_for(user, pk: Any) -> PaymentLink:
    try:
        return link_list_for(user).get(pk=int(pk))
    except (PaymentLink.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payment link."), code="link_not_found") from None


def invoice_get_for(user, pk: Any) -> Invoice:
    """The invoice, if the user may see it (billing's rule), else `document_not_found`."""
    return document_get_for(user, "invoice", pk)


def hold_list_for(user, filters: dict[str, Any] | None = None) -> QuerySet[PaymentHold]:
    filters = _filters(filters, {"status", "order", "customer", "invoice"})
    qs = PaymentHold.objects.filter(link_scope(user)).select_related(
        "link", "invoice", "order", "customer", "payment", "event"
    )
    if not can_read_all(user):
        qs = qs.exclude(customer__isnull=True)
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    for name in ("order", "customer", "invoice"):
        if name in filters:
            qs = qs.filter(**{f"{name}_id": _int(filters[name], name)})
    return qs.order_by("-created_at", "-pk")


def hold_get_for(user, pk: Any) -> PaymentHold:
    try:
        return hold_list_for(user).get(pk=int(pk))
    except (PaymentHold.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such held payment."), code="hold_not_found") from None


def line_list_for(user, filters: dict[str, Any] | None = None) -> QuerySet[PayoutLine]:
    filters = _filters(filters, {"status", "report", "intermediary", "order", "customer"})
    qs = PayoutLine.objects.select_related(
        "report", "report__intermediary", "invoice", "order", "customer", "payment"
    )
    if not can_read_all(user):
        qs = qs.filter(link_scope(user))
    if "status" in filters:
        if filters["status"] not in LineStatus.values:
            raise ValidationFailed(
                _("Unknown status."), code="filter_invalid", fields={"status": filters["status"]}
            )
        qs = qs.filter(status=filters["status"])
    if "report" in filters:
        qs = qs.filter(report_id=_int(filters["report"], "report"))
    if "intermediary" in filters:
        qs = qs.filter(report__intermediary_id=_int(filters["intermediary"], "intermediary"))
    for name in ("order", "customer"):
        if name in filters:
            qs = qs.filter(**{f"{name}_id": _int(filters[name], name)})
    return qs.order_by("report_id", "row")


def line_get_for(user, pk: Any) -> PayoutLine:
    try:
        return line_list_for(user).get(pk=int(pk))
    except (PayoutLine.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payout line."), code="payout_line_not_found") from None


def intermediary_list_for(user) -> QuerySet[Intermediary]:
    if not can_read_all(user):
        return Intermediary.objects.none()
    return (
        Intermediary.objects.select_related("currency")
        .annotate(report_count=Count("reports"))
        .order_by("name")
    )


def intermediary_get_for(user, pk: Any) -> Intermediary:
    try:
        return intermediary_list_for(user).get(pk=int(pk))
    except (Intermediary.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such intermediary."), code="intermediary_not_found") from None


def report_list_for(user, intermediary: Intermediary | None = None) -> QuerySet[PayoutReport]:
    if not can_read_all(user):
        return PayoutReport.objects.none()
    qs = PayoutReport.objects.select_related("intermediary", "created_by").annotate(
        line_count=Count("lines"),
        matched_count=Count("lines", filter=Q(lines__status=LineStatus.MATCHED)),
        waiting_count=Count("lines", filter=Q(lines__status=LineStatus.UNMATCHED)),
    )
    if intermediary is not None:
        qs = qs.filter(intermediary=intermediary)
    return qs.order_by("-report_date", "-pk")


def report_get_for(user, pk: Any) -> PayoutReport:
    try:
        return report_list_for(user).get(pk=int(pk))
    except (PayoutReport.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payout report."), code="payout_report_not_found") from None


def report_summary(report: PayoutReport) -> dict[str, Any]:
    """Collected, commission and transferred of a report, by line state."""
    rows = report.lines.values("status").annotate(
        gross=Sum("gross"), commission=Sum("commission"), net=Sum("net"), n=Count("pk")
    )
    return {r["status"]: r for r in rows}


def ledger_of(intermediary: Intermediary, *, limit: int = 200) -> list[IntermediaryEntry]:
    return list(
        IntermediaryEntry.objects.filter(intermediary=intermediary)
        .select_related("report", "line")
        .order_by("-entry_date", "-pk")[:limit]
    )


def review_queue(user) -> dict[str, list]:
    """Open holds and waiting payout lines (accountants and administrators only)."""
    if not can_manage(user) and not can_read_all(user):
        return {"holds": [], "lines": []}
    return {
        "holds": list(hold_list_for(user, {"status": HoldStatus.OPEN})[:200]),
        "lines": list(line_list_for(user, {"status": LineStatus.UNMATCHED})[:500]),
    }


def events_of(link: PaymentLink) -> list[ProviderEvent]:
    return list(link.events.order_by("received_at", "pk"))


def for_order(user, order) -> dict[str, list]:
    """Links, holds and payout lines of the order, as far as the user may see them."""
    return {
        "links": list(link_list_for(user, {"order": order.pk}).select_related("invoice")),
        "holds": list(hold_list_for(user, {"order": order.pk})),
        "lines": list(line_list_for(user, {"order": order.pk})),
    }


def for_customer(user, customer, *, limit: int = 10) -> dict[str, list]:
    return {
        "links": list(link_list_for(user, {"customer": customer.pk})[:limit]),
        "holds": list(hold_list_for(user, {"customer": customer.pk})[:limit]),
        "lines": list(line_list_for(user, {"customer": customer.pk}).order_by("-pk")[:limit]),
    }


def for_invoice(user, invoice: Invoice) -> dict[str, list]:
    return {
        "links": list(
            link_list_for(user, {"invoice": invoice.pk}).prefetch_related("events", "holds")
        ),
        "holds": list(hold_list_for(user, {"invoice": invoice.pk})),
        "lines": list(
            PayoutLine.objects.filter(invoice=invoice)
            .filter(link_scope(user) if not can_read_all(user) else Q())
            .select_related("report__intermediary", "payment")
        ),
    }
