"""Billing pages: documents list and card (post, reverse, PDF), payment entry, bank statement
import with preview, the allocation screen, cash receipts. Each view parses input, calls one
service and shows a refusal on the page it came from, under the error's status."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orderdesk.core.errors import DomainError, NotFound
from orderdesk.core.paging import page_slice
from orderdesk.core.roles import has_role
from orderdesk.core.views import render_domain_error
from orderdesk.orders.models import Order
from orderdesk.orders.permissions import order_scope
from orderdesk.receivables import selectors as ledger
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from . import pdf, selectors, services
from .forms import CashReceiptForm, PaymentForm, ReverseForm, StatementImportForm
from .permissions import BILLING_VIEWERS, DOCUMENT_VIEWERS, can_account, can_create_prepayment

SLUGS = {
    "invoices": "invoice",
    "delivery-notes": "delivery_note",
    "credit-notes": "credit_note",
    "cash-receipts": "cash_receipt",
}
SLUG_OF = {v: k for k, v in SLUGS.items()}
TITLES = {
    "invoice": _("Invoices"),
    "delivery_note": _("Delivery notes"),
    "credit_note": _("Credit notes"),
    "cash_receipt": _("Cash receipts"),
}
PAGE_SIZE = 50


def doc_type_of(slug: str) -> str:
    try:
        return SLUGS[slug]
    except KeyError:
        raise Http404(_("No such document type.")) from None


def document_url(doc) -> str:
    return reverse("billing:document", args=[SLUG_OF[doc.doc_type], doc.pk])


def forbidden(request, exc: DomainError | None = None) -> HttpResponse:
    from orderdesk.core.errors import PermissionRefused

    exc = exc or PermissionRefused(_("You may not do this."), code="permission_denied")
    return render(request, "billing/403.html", {"domain_error": exc}, status=403)


def visible_types(user) -> list[str]:
    if has_role(user, *BILLING_VIEWERS):
        return list(SLUGS.values())
    if has_role(user, *DOCUMENT_VIEWERS):
        return ["delivery_note"]
    return []


@login_required
@require_GET
def document_list(request):
    types = visible_types(request.user)
    if not types:
        return forbidden(request)
    slug = request.GET.get("type") or SLUG_OF[types[0]]
    doc_type = doc_type_of(slug)
    if doc_type not in types:
        return forbidden(request)
    filters = {k: request.GET.get(k) for k in ("status", "q", "customer", "order")}
    try:
        qs = selectors.document_list_for(request.user, doc_type, filters)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        qs = selectors.document_list_for(request.user, doc_type, {})
    page, rows_of_page = page_slice(request.GET.get("page"), PAGE_SIZE)
    rows = list(qs[rows_of_page])
    return render(
        request,
        "billing/documents.html",
        {
            "doc_type": doc_type,
            "slug": slug,
            "tabs": [(SLUG_OF[t], TITLES[t]) for t in types],
            "title": TITLES[doc_type],
            "documents": rows[:PAGE_SIZE],
            "has_next": len(rows) > PAGE_SIZE,
            "page": page,
            "filters": filters,
            "may_account": can_account(request.user),
        },
    )


def card_context(request, doc_type: str, doc, **extra: Any) -> dict[str, Any]:
    user = request.user
    may = can_account(user)
    context = {
        "doc": doc,
        "doc_type": doc_type,
        "slug": SLUG_OF[doc_type],
        "title": doc._meta.verbose_name,
        "may_post": may and doc.status == "draft",
        "may_reverse": may and doc.status == "posted",
        "may_delete": may and doc.status == "draft",
        "reverse_form": ReverseForm(),
        "lines": list(doc.lines.all()) if hasattr(doc, "lines") else [],
        "instalments": list(doc.instalments.all()) if doc_type == "invoice" else [],
        "items": list(OpenItem.objects.filter(doc_type=doc_type, doc_id=doc.pk).order_by("pk")),
    }
    context.update(extra)
    return context


def _get_document(request, doc_type: str, pk: int):
    try:
        return selectors.document_get_for(request.user, doc_type, pk)
    except NotFound:
        raise Http404(_("No such document.")) from None


@login_required
@require_GET
def document_detail(request, slug: str, pk: int):
    doc_type = doc_type_of(slug)
    doc = _get_document(request, doc_type, pk)
    return render(request, "billing/document.html", card_context(request, doc_type, doc))


@login_required
@require_POST
def document_post(request, slug: str, pk: int):
    doc_type = doc_type_of(slug)
    doc = _get_document(request, doc_type, pk)
    try:
        doc = services.document_post(by=request.user, doc_type=doc_type, pk=pk)
    except DomainError as exc:
        return render_domain_error(
            request, exc, "billing/document.html", card_context(request, doc_type, doc)
        )
    messages.success(request, _("%(d)s is posted.") % {"d": doc})
    return redirect(document_url(doc))


@login_required
@require_POST
def document_reverse(request, slug: str, pk: int):
    doc_type = doc_type_of(slug)
    doc = _get_document(request, doc_type, pk)
    form = ReverseForm(request.POST)
    try:
        services.document_reverse(
            by=request.user,
            doc_type=doc_type,
            pk=pk,
            reason=form.data.get("reason", ""),
        )
    except DomainError as exc:
        return render_domain_error(
            request,
            exc,
            "billing/document.html",
            card_context(request, doc_type, doc, reverse_form=form),
        )
    messages.success(request, _("%(d)s is reversed.") % {"d": doc})
    return redirect(document_url(doc))


@login_required
@require_POST
def document_delete(request, slug: str, pk: int):
    doc_type = doc_type_of(slug)
    doc = _get_document(request, doc_type, pk)
    order_id = getattr(doc, "order_id", None)
    try:
        services.document_delete(by=request.user, doc_type=doc_type, pk=pk)
    except DomainError as exc:
        return render_domain_error(
            request, exc, "billing/document.html", card_context(request, doc_type, doc)
        )
    messages.success(request, _("The draft is deleted."))
    if order_id:
        return redirect("orders:detail", order_id)
    return redirect("billing:documents")


@login_required
@require_GET
def document_pdf(request, slug: str, pk: int):
    doc_type = doc_type_of(slug)
    doc = _get_document(request, doc_type, pk)
    try:
        name, data = pdf.document_pdf(doc, lang=request.GET.get("lang", "uk"))
    except DomainError as exc:
        return render_domain_error(
            request, exc, "billing/document.html", card_context(request, doc_type, doc)
        )
    return _pdf(name, data)


def _pdf(name: str, data: bytes) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


def _order(request, pk: int) -> Order:
    order = (
        Order.objects.filter(order_scope(request.user), pk=pk).select_related("customer").first()
    )
    if order is None:
        raise Http404(_("No such order."))
    return order


@login_required
@require_POST
def prepayment_invoice(request, pk: int):
    """From the order card: a prepayment invoice draft (a seller may do it for an own order)."""
    order = _order(request, pk)
    if not can_create_prepayment(request.user, order):
        return forbidden(request)
    try:
        invoice = services.invoice_create_prepayment(by=request.user, order=order)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect("orders:detail", order.pk)
    messages.success(request, _("A prepayment invoice draft is ready."))
    return redirect(document_url(invoice))


@login_required
@require_POST
def order_invoice(request, pk: int):
    """From the order card: an invoice for everything not invoiced yet (accountants)."""
    order = _order(request, pk)
    try:
        invoice = services.invoice_create(by=request.user, order=order, kind="order")
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect("orders:detail", order.pk)
    return redirect(document_url(invoice))


# --- payments ----------------------------------------------------------------------------------


@login_required
@require_GET
def payment_list(request):
    if not has_role(request.user, *BILLING_VIEWERS):
        return forbidden(request)
    filters = {k: request.GET.get(k) for k in ("q", "customer", "order")}
    try:
        qs = selectors.payment_list_for(request.user, filters)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        qs = selectors.payment_list_for(request.user, {})
    return render(
        request,
        "billing/payments.html",
        {"payments": list(qs[:200]), "filters": filters, "may_account": can_account(request.user)},
    )


@login_required
def payment_new(request):
    if not can_account(request.user):
        return forbidden(request)
    form = PaymentForm(
        request.POST or None, user=request.user, initial={"customer": request.GET.get("customer")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_create(
                by=request.user,
                customer=data["customer"],
                order=data.get("order"),
                amount=data["amount"],
                currency=data["currency"].code,
                payment_date=data["payment_date"],
                bank_reference=data.get("bank_reference", ""),
                purpose=data.get("purpose", ""),
                allocations="auto" if data["allocate"] == "auto" else [],
            )
        except DomainError as exc:
            return render_domain_error(request, exc, "billing/payment_form.html", {"form": form})
        messages.success(request, _("The payment is recorded."))
        return redirect("billing:payment", payment.pk)
    return render(
        request,
        "billing/payment_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def payment_context(request, payment, **extra) -> dict[str, Any]:
    item = payment.credit_item
    open_debits = []
    if item is not None and item.open_amount > 0 and payment.status == "posted":
        open_debits = list(
            OpenItem.objects.filter(
                customer=payment.customer, side=Side.DEBIT, kind=ItemKind.INVOICE, open_amount__gt=0
            ).order_by("due_date", "pk")
        )
    return {
        "payment": payment,
        "item": item,
        "allocations": list(selectors.allocations_of(item)),
        "open_debits": open_debits,
        "may_account": can_account(request.user),
        "reverse_form": ReverseForm(),
        **extra,
    }


def _payment(request, pk: int):
    try:
        return selectors.payment_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such payment.")) from None


@login_required
@require_GET
def payment_detail(request, pk: int):
    payment = _payment(request, pk)
    return render(request, "billing/payment.html", payment_context(request, payment))


@login_required
@require_POST
def payment_allocate(request, pk: int):
    """The allocation screen: an amount per open instalment, settled in the order shown."""
    payment = _payment(request, pk)
    chosen = []
    for key, value in request.POST.items():
        if key.startswith("amount_") and value.strip():
            try:
                amount = Decimal(value.strip().replace(",", ".").replace(" ", ""))
            except InvalidOperation:
                amount = value
            chosen.append((key.removeprefix("amount_"), amount))
    try:
        if not chosen:
            from orderdesk.core.errors import ValidationFailed

            raise ValidationFailed(
                _("Enter an amount for at least one invoice."), code="allocation_empty"
            )
        from django.db import transaction

        with transaction.atomic():
            for debit, amount in chosen:
                services.allocation_create(
                    by=request.user, debit=debit, credit=payment.credit_item_id, amount=amount
                )
    except DomainError as exc:
        return render_domain_error(
            request, exc, "billing/payment.html", payment_context(request, payment)
        )
    messages.success(request, _("The payment is allocated."))
    return redirect("billing:payment", payment.pk)


@login_required
@require_POST
def payment_reverse(request, pk: int):
    payment = _payment(request, pk)
    try:
        services.payment_reverse(
            by=request.user, payment=payment, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return render_domain_error(
            request, exc, "billing/payment.html", payment_context(request, payment)
        )
    messages.success(request, _("The payment is reversed."))
    return redirect("billing:payment", payment.pk)


@login_required
@require_POST
def allocation_cancel(request, pk: int):
    back = request.POST.get("next") or ""
    # security: only a path of this site ("//evil.example" and "/\\evil.example" are not)
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None) or not back.startswith("/"):
        back = reverse("billing:payments")
    try:
        services.allocation_cancel(by=request.user, allocation=pk)
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect(back)
    messages.success(request, _("The allocation is undone."))
    return redirect(back)


IMPORT_SESSION_KEY = "billing_statement_import"


@login_required
def payment_import(request):
    """Upload a statement and map its columns -> preview (dry run) -> import."""
    if not can_account(request.user):
        return forbidden(request)
    context: dict[str, Any] = {}
    if request.method == "POST" and request.POST.get("confirm"):
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending:
            messages.error(request, _("Upload the statement again."))
            return redirect("billing:payment_import")
        try:
            result = services.statement_import(by=request.user, dry_run=False, **pending)
        except DomainError as exc:
            form = StatementImportForm()
            return render_domain_error(request, exc, "billing/import.html", {"form": form})
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.success(request, _("%(n)s payments imported.") % {"n": result.imported})
        return render(
            request,
            "billing/import.html",
            {"form": StatementImportForm(), "result": result, "done": True},
        )
    form = StatementImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        pending = {
            "mapping": form.mapping(),
            "delimiter": form.cleaned_data.get("delimiter") or None,
            "skip_duplicates": form.cleaned_data.get("skip_duplicates", False),
        }
        try:
            text = services.statement.decode(raw)
            result = services.statement_import(by=request.user, data=text, dry_run=True, **pending)
        except DomainError as exc:
            return render_domain_error(request, exc, "billing/import.html", {"form": form})
        request.session[IMPORT_SESSION_KEY] = {**pending, "data": text}
        context["result"] = result
    context["form"] = form
    return render(request, "billing/import.html", context)


@login_required
def cash_receipt_new(request):
    if not can_account(request.user):
        return forbidden(request)
    form = CashReceiptForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            receipt = services.cash_receipt_create(
                by=request.user,
                customer=data["customer"],
                order=data.get("order"),
                amount=data["amount"],
                currency=data["currency"].code,
                received_from=data.get("received_from", ""),
                basis=data.get("basis", ""),
            )
        except DomainError as exc:
            return render_domain_error(
                request, exc, "billing/cash_receipt_form.html", {"form": form}
            )
        return redirect(document_url(receipt))
    return render(request, "billing/cash_receipt_form.html", {"form": form})


@login_required
@require_GET
def statement_pdf(request, pk: int):
    """The customer statement (акт звірки) as a PDF; the page is the receivables app's."""
    import datetime as dt

    try:
        customer = ledger.customer_for(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("No such customer.")) from None
    today = dt.date.today()
    try:
        date_from = dt.date.fromisoformat(
            request.GET.get("date_from") or today.replace(day=1).isoformat()
        )
        date_to = dt.date.fromisoformat(request.GET.get("date_to") or today.isoformat())
        st = ledger.statement(
            customer=customer,
            currency=(request.GET.get("currency") or "UAH").upper(),
            date_from=date_from,
            date_to=date_to,
        )
        name, data = pdf.statement_pdf(st, lang=request.GET.get("lang", "uk"))
    except ValueError:
        raise Http404(_("Not a date.")) from None
    except DomainError as exc:
        messages.error(request, f"{exc.detail} ({exc.code})")
        return redirect("receivables:statement", pk)
    return _pdf(name, data)
