"""What the payment services share: rights, the system actor, locks, history, open amounts."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orderdesk.audit.services import Entry, record_many, stream_of
from orderdesk.billing.models import DocumentStatus, Invoice
from orderdesk.core.errors import Conflict, NotFound, PermissionRefused
from orderdesk.core.money import ZERO, quantize
from orderdesk.core.roles import Role
from orderdesk.orders.models import Order
from orderdesk.orders.services.progress import lock_order_row
from orderdesk.receivables.models import ItemKind, OpenItem, Side

from ..permissions import can_manage

log = logging.getLogger("orderdesk.payments")
security_log = logging.getLogger("orderdesk.security")

# Webhooks and polls act as this account: it records the payments in billing (which asks for
# an accountant) and names the actor in the history. It cannot log in (inactive, no password).
SYSTEM_USERNAME = "orderdesk-payments"
SYSTEM_NAME = ("Платіжні", "сервіси")


def now():
    return timezone.now()


def require_manage(by, what: str = "") -> None:
    """Refuse (`payments_not_permitted`, 403) anyone but an accountant or administrator."""
    if not can_manage(by):
        raise PermissionRefused(
            _("Only an accountant or an administrator may do this%(w)s.")
            % {"w": f" ({what})" if what else ""},
            code="payments_not_permitted",
        )


def system_user():
    """The payment services' own account (made on first use, outside any transaction)."""
    User = get_user_model()
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=SYSTEM_USERNAME,
            defaults={
                "first_name": SYSTEM_NAME[0],
                "last_name": SYSTEM_NAME[1],
                "is_active": False,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=Role.ACCOUNTANT))
    return user


def lock_order(order_id: int) -> Order:
    """The order row FOR UPDATE: one writer per order and its history chain in line; taken
    before any link, line or ledger row (the billing services lock in the same order)."""
    return lock_order_row(order_id)


def lock_orders(ids) -> dict[int, Order]:
    """Several orders, in ascending id order (two writers never wait on each other in a cycle)."""
    return {pk: lock_order_row(pk) for pk in sorted({i for i in ids if i})}


def history(order: Order | int, by, entries: list[Entry]) -> None:
    """Append to the order's timeline; the caller holds the order's lock."""
    pk = order.pk if isinstance(order, Order) else order
    record_many(stream=stream_of(Order(pk=pk)), entries=entries, by=by)


def entry(action: str, obj, **data: Any) -> Entry:
    return Entry(action, obj, {}, data)


def status_entry(action: str, obj, before: str, after: str, **data: Any) -> Entry:
    return Entry(action, obj, {"status": {"from": before, "to": after}}, data)


def invoice_or_404(value: Any) -> Invoice:
    if isinstance(value, Invoice):
        return value
    try:
        return Invoice.objects.select_related("order", "customer").get(pk=int(value))
    except (Invoice.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such invoice."), code="invoice_not_found") from None


def require_posted(invoice: Invoice) -> None:
    if invoice.status != DocumentStatus.POSTED:
        raise Conflict(
            _("Invoice %(n)s is not posted; only a posted invoice can be paid.")
            % {"n": invoice.number or _("(draft)")},
            code="invoice_not_posted",
        )


def open_debits(*, invoice: Invoice | None = None, order_id: int | None = None) -> list[OpenItem]:
    """The open instalments of an invoice (or of an order's invoices), oldest due first."""
    qs = OpenItem.objects.filter(side=Side.DEBIT, kind=ItemKind.INVOICE, open_amount__gt=0)
    if invoice is not None:
        qs = qs.filter(doc_type=Invoice.doc_type, doc_id=invoice.pk)
    else:
        qs = qs.filter(order_id=order_id)
    return sorted(qs, key=lambda i: (i.due_date or i.posting_date, i.posting_date, i.pk))


def open_amount(invoice: Invoice) -> Decimal:
    total = OpenItem.objects.filter(
        side=Side.DEBIT,
        kind=ItemKind.INVOICE,
        doc_type=Invoice.doc_type,
        doc_id=invoice.pk,
    ).aggregate(total=Sum("open_amount"))["total"]
    # SQLite sums decimals as floats: back to the currency's digits
    return quantize(total or ZERO, invoice.currency_id)
