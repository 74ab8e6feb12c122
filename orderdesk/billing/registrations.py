"""What billing adds to shared places: navigation, panels on the order and customer cards,
readable labels for its history actions, and the statement PDF for the receivables page.

Loaded from BillingConfig.ready().
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orderdesk.core.navigation import register_nav
from orderdesk.core.panels import register_panel
from orderdesk.core.roles import has_role
from orderdesk.orders import hooks
from orderdesk.orders.registrations import ACTION_LABELS
from orderdesk.receivables.registrations import register_statement_export

from .models import Invoice
from .permissions import BILLING_VIEWERS, DOCUMENT_VIEWERS, can_account, can_create_prepayment
from .selectors import customer_billing, order_billing
from .services.shipments import prepayment_on_confirm
from .services.state import order_payment_on_change, order_schedule

# the prepayment invoice of an order whose terms ask for one, when it is confirmed
hooks.on(hooks.ORDER_CONFIRMED, "billing.prepayment_invoice", prepayment_on_confirm)
# read with the lock of a confirmation: a first confirmation skips looking for invoices
hooks.lock_fact("has_invoice", lambda: Exists(Invoice.objects.filter(order=OuterRef("pk"))))
# what is left to invoice moved (a quantity cancelled, an amendment): the payment state follows
hooks.on(hooks.ORDER_CHANGED, "billing.payment_state", order_payment_on_change)

ACTION_LABELS.update(
    {
        "billing.invoice.created": _("Invoice drafted"),
        "billing.invoice.posted": _("Invoice posted"),
        "billing.invoice.reversed": _("Invoice reversed"),
        "billing.invoice.changed": _("Invoice draft changed"),
        "billing.invoice.deleted": _("Invoice draft deleted"),
        "billing.delivery_note.created": _("Delivery note drafted"),
        "billing.delivery_note.posted": _("Delivery note posted"),
        "billing.delivery_note.reversed": _("Delivery note reversed"),
        "billing.credit_note.created": _("Credit note drafted"),
        "billing.credit_note.posted": _("Credit note posted"),
        "billing.credit_note.reversed": _("Credit note reversed"),
        "billing.cash_receipt.created": _("Cash receipt drafted"),
        "billing.cash_receipt.posted": _("Cash receipt posted"),
        "billing.cash_receipt.reversed": _("Cash receipt reversed"),
        "billing.payment.received": _("Payment received"),
        "billing.payment.reversed": _("Payment reversed"),
        "billing.allocation.created": _("Payment allocated"),
        "billing.allocation.reversed": _("Allocation undone"),
        "orders.order.payment_status_changed": _("Payment state changed"),
        "orders.order.fulfillment_status_changed": _("Fulfillment state changed"),
        "orders.line.shipped": _("Goods shipped"),
    }
)

SLUG = {
    "invoice": "invoices",
    "delivery_note": "delivery-notes",
    "credit_note": "credit-notes",
    "cash_receipt": "cash-receipts",
}


def order_panel(request, order):
    """The order card's documents, payments and payment schedule, as the user may see them."""
    user = request.user
    found = order_billing(user, order)
    documents = []
    for doc_type in ("invoice", "delivery_note", "credit_note", "cash_receipt"):
        for doc in found[doc_type]:
            amount = {"invoice": "payable_amount", "credit_note": "credit_amount"}.get(
                doc_type, "gross_amount"
            )
            documents.append(
                {
                    "doc": doc,
                    "title": doc._meta.verbose_name,
                    "amount": getattr(doc, amount),
                    "url": reverse("billing:document", args=[SLUG[doc_type], doc.pk]),
                    "pdf_url": reverse("billing:pdf", args=[SLUG[doc_type], doc.pk]),
                }
            )
    may_see_money = has_role(user, *BILLING_VIEWERS)
    if not documents and not may_see_money:
        return None
    return {
        "documents": documents,
        "payments": found["payments"],
        "schedule": order_schedule(order) if may_see_money and order.status != "draft" else [],
        "may_prepay": order.status == "confirmed" and can_create_prepayment(user, order),
        "may_account": can_account(user),
        "may_read_payments": may_see_money,
    }


def customer_panel(request, customer):
    if not has_role(request.user, *BILLING_VIEWERS):
        return None
    return customer_billing(request.user, customer)


register_nav("billing", _("Documents"), "billing:documents", order=40, roles=DOCUMENT_VIEWERS)
register_nav("payments", _("Payments"), "billing:payments", order=45, roles=BILLING_VIEWERS)
register_panel(
    "order_card", "billing", template="billing/panels/_order.html", context=order_panel, order=30
)
register_panel(
    "customer_card",
    "billing",
    template="billing/panels/_customer.html",
    context=customer_panel,
    order=40,
)
register_statement_export(_("PDF"), "billing:statement_pdf")
