"""What payments adds to shared places: navigation, panels on the order and customer cards,
readable labels for its history actions. Loaded from PaymentsConfig.ready()."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from orderdesk.billing.models import DocumentStatus, Invoice
from orderdesk.billing.permissions import READ_ALL
from orderdesk.core.money import ZERO, quantize
from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.orders.registrations import ACTION_LABELS
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from .forms import provider_choices
from .permissions import PAYMENT_VIEWERS, can_create_link, can_read_all, can_view_payments
from .selectors import for_customer, for_order

ACTION_LABELS.update(
    {
        "payments.link.requested": _("Payment link requested"),
        "payments.link.created": _("Payment link created"),
        "payments.link.refused": _("Payment service refused the link"),
        "payments.link.processing": _("Card payment in progress"),
        "payments.link.paid": _("Paid by card"),
        "payments.link.failed": _("Card payment failed"),
        "payments.link.expired": _("Payment link expired"),
        "payments.hold.created": _("Card payment held for review"),
        "payments.hold.applied": _("Held payment recorded"),
        "payments.hold.dismissed": _("Held payment dismissed"),
        "payments.payout_line.matched": _("Paid through an intermediary"),
        "payments.payout_line.dismissed": _("Payout line dismissed"),
        "payments.payout_report.imported": _("Payout report imported"),
        "payments.intermediary.created": _("Intermediary created"),
        "payments.intermediary.changed": _("Intermediary changed"),
    }
)


def open_amounts(invoice_ids: list[int]) -> dict[int, Decimal]:
    """Open amount per invoice, in one query."""
    rows = (
        OpenItem.objects.filter(
            side=Side.DEBIT,
            kind=ItemKind.INVOICE,
            doc_type=Invoice.doc_type,
            doc_id__in=invoice_ids,
        )
        .values("doc_id")
        .annotate(total=Sum("open_amount"))
    )
    return {r["doc_id"]: r["total"] or ZERO for r in rows}


def order_panel(request, order):
    """The order's links, held payments and payout lines; a link button per open invoice."""
    user = request.user
    if not can_view_payments(user):
        return None
    found = for_order(user, order)
    may_link = can_create_link(user, order)
    providers = provider_choices() if may_link else []
    payable = []
    if providers:
        invoices = list(
            Invoice.objects.filter(order=order, status=DocumentStatus.POSTED).order_by("pk")
        )
        open_by_invoice = open_amounts([i.pk for i in invoices])
        for invoice in invoices:
            amount = quantize(open_by_invoice.get(invoice.pk, ZERO), invoice.currency_id)
            if amount > 0:
                payable.append({"invoice": invoice, "open": amount})
    if not payable and not any(found.values()):
        return None
    return {
        **found,
        "payable": payable,
        "providers": providers,
        "may_link": bool(providers),
        "may_read_payments": True,
        "may_read_all": can_read_all(user),
    }


def customer_panel(request, customer):
    user = request.user
    if not can_view_payments(user):
        return None
    found = for_customer(user, customer)
    if not any(found.values()):
        return None
    return {**found, "may_read_payments": True, "may_read_all": can_read_all(user)}


register_nav(
    "payment_services", _("Card payments"), "payments:links", order=46, roles=PAYMENT_VIEWERS
)
register_nav("payment_review", _("Review queue"), "payments:review", order=47, roles=READ_ALL)
register_panel(
    "order_card", "payments", template="payments/panels/_order.html", context=order_panel, order=35
)
register_panel(
    "customer_card",
    "payments",
    template="payments/panels/_customer.html",
    context=customer_panel,
    order=45,
)
