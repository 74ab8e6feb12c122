"""Payment pages: links list and card, the invoice's pay-by-link page, the review queue,
intermediaries with their payout-report import and agent's report PDF; the providers'
webhook endpoint and the page the customer returns to. Each view parses input, calls one
service and shows a refusal on the page it came from."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from orderdesk.billing.models import Invoice
from orderdesk.core.errors import DomainError, NotFound, PermissionRefused, ValidationFailed
from orderdesk.core.views import render_domain_error
from orderdesk.orders.models import Order

from . import pdf, selectors, services
from .choices import LinkStatus
from .forms import (
    HoldApplyForm,
    IntermediaryForm,
    LinkForm,
    MatchForm,
    PayoutImportForm,
    ReasonForm,
)
from .models import PaymentLink
from .permissions import can_create_link, can_manage, can_read_all, can_view_payments
from .services import _common as common
from .services.payouts import intermediary_balance

IMPORT_SESSION_KEY = "payments_payout_import"


def forbidden(request, exc: DomainError | None = None) -> HttpResponse:
    exc = exc or PermissionRefused(_("You may not do this."), code="permission_denied")
    return render(request, "billing/403.html", {"domain_error": exc}, status=403)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # only a path of this site: "//evil.example" and "/\\evil.example" are other sites
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else default


# --- links -------------------------------------------------------------------------------------


@login_required
@require_GET
def link_list(request):
    if not can_view_payments(request.user):
        return forbidden(request)
    filters = {k: request.GET.get(k) for k in ("status", "provider", "q")}
    try:
        qs = selectors.link_list_for(request.user, filters)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        qs = selectors.link_list_for(request.user, {})
    return render(
        request,
        "payments/links.html",
        {
            "links": list(qs[:200]),
            "filters": filters,
            "statuses": LinkStatus.choices,
            "may_manage": can_manage(request.user),
        },
    )


@login_required
@require_GET
def link_detail(request, pk: int):
    try:
        link = selectors.link_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such payment link.")) from None
    return render(
        request,
        "payments/link.html",
        {"link": link, "events": selectors.events_of(link), "holds": list(link.holds.all())},
    )


def _invoice(request, pk: int) -> Invoice:
    try:
        return selectors.invoice_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such invoice.")) from None


def invoice_context(request, invoice: Invoice, **extra: Any) -> dict[str, Any]:
    user = request.user
    may_link = (
        invoice.status == "posted"
        and can_create_link(user, invoice.order)
        and bool(LinkForm().fields["provider"].choices)
    )
    return {
        "invoice": invoice,
        "open_amount": common.open_amount(invoice),
        "link_form": LinkForm(),
        "may_link": may_link,
        **selectors.for_invoice(user, invoice),
        **extra,
    }


@login_required
@require_GET
def invoice_page(request, pk: int):
    """Pay-by-link for one invoice: its links, provider payments, holds and payout lines."""
    if not can_view_payments(request.user):
        return forbidden(request)
    invoice = _invoice(request, pk)
    return render(request, "payments/invoice.html", invoice_context(request, invoice))


@login_required
@require_POST
def link_create(request, pk: int):
    """From the invoice page or the order card: a payment link through the chosen provider."""
    invoice = _invoice(request, pk)
    form = LinkForm(request.POST)
    back = _safe_next(request, reverse("payments:invoice", args=[invoice.pk]))
    try:
        if not form.is_valid():
            raise ValidationFailed(
                _("Choose a payment service that is set up."),
                code="provider_unknown",
                fields={"provider": request.POST.get("provider", "")},
            )
        link = services.payment_link_create(
            by=request.user, invoice=invoice, provider=form.cleaned_data["provider"]
        )
    except DomainError as exc:
        if isinstance(exc, PermissionRefused):
            return forbidden(request, exc)
        return render_domain_error(
            request, exc, "payments/invoice.html", invoice_context(request, invoice)
        )
    messages.success(request, _("The payment link is ready: %(u)s") % {"u": link.url or "…"})
    return redirect(back)


# --- the review queue ----------------------------------------------------------------------


def review_context(request, **extra: Any) -> dict[str, Any]:
    return {
        **selectors.review_queue(request.user),
        "reason_form": ReasonForm(),
        "match_form": MatchForm(),
        "apply_form": HoldApplyForm(),
        "may_manage": can_manage(request.user),
        **extra,
    }


@login_required
@require_GET
def review(request):
    if not can_read_all(request.user):
        return forbidden(request)
    return render(request, "payments/review.html", review_context(request))


def _resolve_number(number: str) -> dict[str, Any]:
    number = (number or "").strip()
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is not None:
        return {"invoice": invoice}
    order = Order.objects.filter(number=number).first()
    if order is not None:
        return {"order": order}
    raise NotFound(_("No invoice or order “%(n)s”.") % {"n": number}, code="document_not_found")


def _review_action(request, action) -> HttpResponse:
    back = _safe_next(request, reverse("payments:review"))
    try:
        action()
    except DomainError as exc:
        if isinstance(exc, PermissionRefused):
            return forbidden(request, exc)
        return render_domain_error(request, exc, "payments/review.html", review_context(request))
    messages.success(request, _("Done."))
    return redirect(back)


@login_required
@require_POST
def hold_apply(request, pk: int):
    form = HoldApplyForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def act():
        invoice = None
        if data.get("number"):
            invoice = _resolve_number(data["number"]).get("invoice")
            if invoice is None:
                raise NotFound(_("Name an invoice, not an order."), code="invoice_not_found")
        services.hold_apply(by=request.user, hold=pk, invoice=invoice, note=data.get("note", ""))

    return _review_action(request, act)


@login_required
@require_POST
def hold_dismiss(request, pk: int):
    return _review_action(
        request,
        lambda: services.hold_dismiss(
            by=request.user, hold=pk, reason=request.POST.get("reason", "")
        ),
    )


@login_required
@require_POST
def line_match(request, pk: int):
    def act():
        target = _resolve_number(request.POST.get("number", ""))
        services.payout_line_match(by=request.user, line=pk, **target)

    return _review_action(request, act)


@login_required
@require_POST
def line_dismiss(request, pk: int):
    return _review_action(
        request,
        lambda: services.payout_line_dismiss(
            by=request.user, line=pk, reason=request.POST.get("reason", "")
        ),
    )


# --- intermediaries ------------------------------------------------------------------------


@login_required
@require_GET
def intermediary_list(request):
    if not can_read_all(request.user):
        return forbidden(request)
    rows = [
        {"intermediary": i, "balance": intermediary_balance(i)}
        for i in selectors.intermediary_list_for(request.user)
    ]
    return render(
        request,
        "payments/intermediaries.html",
        {"rows": rows, "may_manage": can_manage(request.user)},
    )


def _intermediary(request, pk: int):
    try:
        return selectors.intermediary_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such intermediary.")) from None


@login_required
def intermediary_edit(request, pk: int | None = None):
    if not can_manage(request.user):
        return forbidden(request)
    intermediary = _intermediary(request, pk) if pk else None
    initial = IntermediaryForm.initial_for(intermediary) if intermediary else {"currency": "UAH"}
    form = IntermediaryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if intermediary is None:
                intermediary = services.intermediary_create(by=request.user, **form.values())
            else:
                intermediary = services.intermediary_update(
                    by=request.user, intermediary=intermediary, **form.values()
                )
        except DomainError as exc:
            return render_domain_error(
                request, exc, "payments/intermediary_form.html", {"form": form, "obj": intermediary}
            )
        messages.success(request, _("Saved."))
        return redirect("payments:intermediary", intermediary.pk)
    return render(
        request,
        "payments/intermediary_form.html",
        {"form": form, "obj": intermediary},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def intermediary_detail(request, pk: int):
    if not can_read_all(request.user):
        return forbidden(request)
    intermediary = _intermediary(request, pk)
    return render(
        request,
        "payments/intermediary.html",
        {
            "obj": intermediary,
            "balance": intermediary_balance(intermediary),
            "reports": list(selectors.report_list_for(request.user, intermediary)[:100]),
            "entries": selectors.ledger_of(intermediary, limit=100),
            "may_manage": can_manage(request.user),
        },
    )


@login_required
def payout_import(request, pk: int):
    """Upload the report and map its columns -> preview (dry run) -> import."""
    if not can_manage(request.user):
        return forbidden(request)
    intermediary = _intermediary(request, pk)
    context: dict[str, Any] = {"obj": intermediary}
    if request.method == "POST" and request.POST.get("confirm"):
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or pending.get("intermediary") != intermediary.pk:
            messages.error(request, _("Upload the report again."))
            return redirect("payments:payout_import", intermediary.pk)
        import datetime as dt

        kwargs = {k: v for k, v in pending.items() if k != "intermediary"}
        if kwargs.get("report_date"):
            kwargs["report_date"] = dt.date.fromisoformat(kwargs["report_date"])
        try:
            result = services.payout_import(
                by=request.user, intermediary=intermediary, dry_run=False, **kwargs
            )
        except DomainError as exc:
            context["form"] = PayoutImportForm(intermediary=intermediary)
            return render_domain_error(request, exc, "payments/payout_import.html", context)
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.success(
            request,
            _("%(m)s lines matched, %(r)s wait for review.")
            % {"m": result.matched, "r": result.to_review},
        )
        return redirect("payments:report", result.report_id)
    form = PayoutImportForm(request.POST or None, request.FILES or None, intermediary=intermediary)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        data = form.cleaned_data
        pending = {
            "intermediary": intermediary.pk,
            "mapping": form.mapping() or None,
            "delimiter": data.get("delimiter") or None,
            "number": data.get("number") or "",
            "report_date": data["report_date"].isoformat() if data.get("report_date") else None,
            "file_name": upload.name,
            "expected_net_total": data.get("expected_net_total") or None,
        }
        try:
            from orderdesk.billing.services.statement import decode

            text = decode(raw)
            kwargs = {k: v for k, v in pending.items() if k != "intermediary"}
            kwargs["report_date"] = data.get("report_date")
            result = services.payout_import(
                by=request.user, intermediary=intermediary, data=text, dry_run=True, **kwargs
            )
        except DomainError as exc:
            context["form"] = form
            return render_domain_error(request, exc, "payments/payout_import.html", context)
        request.session[IMPORT_SESSION_KEY] = {**pending, "data": text}
        context["result"] = result
    context["form"] = form
    return render(request, "payments/payout_import.html", context)


def _report(request, pk: int):
    try:
        return selectors.report_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such payout report.")) from None


@login_required
@require_GET
def report_detail(request, pk: int):
    if not can_read_all(request.user):
        return forbidden(request)
    report = _report(request, pk)
    return render(
        request,
        "payments/report.html",
        {
            "report": report,
            "lines": list(selectors.line_list_for(request.user, {"report": report.pk})),
            "balance": intermediary_balance(report.intermediary),
        },
    )


@login_required
@require_GET
def report_pdf(request, pk: int):
    if not can_read_all(request.user):
        return forbidden(request)
    report = _report(request, pk)
    try:
        name, data = pdf.payout_report_pdf(report, lang=request.GET.get("lang", "uk"))
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect("payments:report", report.pk)
    from urllib.parse import quote

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


# --- the providers' side -------------------------------------------------------------------


def remote_address(request) -> str | None:
    header = settings.ORDERDESK.get("CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    value = value.split(",")[0].strip() if value else request.META.get("REMOTE_ADDR", "")
    return value or None


@csrf_exempt
@require_POST
def webhook(request, provider: str):
    """A provider's callback: verified by its signature (no login, no CSRF token), applied
    once, answered at once. 200 with the outcomes; 401/400 for a delivery we do not take."""
    try:
        outcomes = services.webhook_receive(
            provider=provider,
            body=request.body,
            headers=request.headers,
            remote_addr=remote_address(request),
            path=request.path,
        )
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    return JsonResponse({"received": True, "outcomes": outcomes})


@require_GET
def payment_return(request, reference: str):
    """Where the provider sends the customer back: the state of the payment, nothing else
    (the reference is a random token; no login)."""
    link = PaymentLink.objects.filter(reference=reference).select_related("invoice").first()
    if link is None:
        raise Http404(_("No such payment."))
    return render(request, "payments/return.html", {"link": link})
