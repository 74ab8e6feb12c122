"""Reading documents and payments: scoped to what the user may see, shaped against N+1."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from orderdesk.core.errors import NotFound, ValidationFailed
from orderdesk.orders.models import Order
from orderdesk.receivables.models import Allocation, OpenItem

from .models import (
    CashReceipt,
    CreditNote,
    DeliveryNote,
    Document,
    DocumentStatus,
    Invoice,
    Payment,
)
from .permissions import document_scope, payment_scope

DOCUMENT_MODELS: dict[str, type[Document]] = {
    "invoice": Invoice,
    "delivery_note": DeliveryNote,
    "credit_note": CreditNote,
    "cash_receipt": CashReceipt,
}
FILTERS = {"status", "customer", "order", "kind", "q", "date_from", "date_to"}


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(
            _("Not a date: %(v)s.") % {"v": value}, code="filter_invalid", fields={name: str(value)}
        ) from None


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Invalid filter value."), code="filter_invalid", fields={name: str(value)}
        ) from None


def document_qs(user, doc_type: str) -> QuerySet:
    model = DOCUMENT_MODELS[doc_type]
    qs = model.objects.filter(document_scope(user, doc_type)).select_related(
        "customer", "currency", "contract", "order"
    )
    if doc_type == "cash_receipt":
        qs = qs.select_related("payment")
    return qs


def document_list_for(user, doc_type: str, filters: dict[str, Any] | None = None) -> QuerySet:
    """Documents of `doc_type` the user may see, filtered (unknown filter: `filter_unknown`)."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(filters) - FILTERS
    if unknown:
        raise ValidationFailed(
            _("Unknown filter: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="filter_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    qs = document_qs(user, doc_type)
    if "status" in filters:
        if filters["status"] not in DocumentStatus.values:
            raise ValidationFailed(
                _("Unknown status."), code="filter_invalid", fields={"status": filters["status"]}
            )
        qs = qs.filter(status=filters["status"])
    if "customer" in filters:
        qs = qs.filter(customer_id=_int(filters["customer"], "customer"))
    if "order" in filters:
        qs = qs.filter(order_id=_int(filters["order"], "order"))
    if "kind" in filters and doc_type == "invoice":
        qs = qs.filter(kind=filters["kind"])
    if "date_from" in filters:
        qs = qs.filter(document_date__gte=_date(filters["date_from"], "date_from"))
    if "date_to" in filters:
        qs = qs.filter(document_date__lte=_date(filters["date_to"], "date_to"))
    if "q" in filters:
        text = str(filters["q"]).strip()
        qs = qs.filter(
            Q(number__icontains=text)
            | Q(customer__short_name__icontains=text)
            | Q(customer__tax_id=text)
            | Q(order__number__icontains=text)
        )
    return qs.order_by("-created_at", "-pk")


def document_get_for(user, doc_type: str, pk: Any) -> Document:
    """One document with its lines, if the user may see it (else `document_not_found`)."""
    qs = document_qs(user, doc_type)
    if doc_type != "cash_receipt":
        qs = qs.prefetch_related("lines")
    if doc_type == "invoice":
        qs = qs.prefetch_related("instalments", "credit_notes", "delivery_notes")
    try:
        return qs.get(pk=int(pk))
    except (DOCUMENT_MODELS[doc_type].DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such document."), code="document_not_found") from None


def payment_list_for(user, filters: dict[str, Any] | None = None) -> QuerySet[Payment]:
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(filters) - {"customer", "order", "status", "q", "date_from", "date_to"}
    if unknown:
        raise ValidationFailed(
            _("Unknown filter: %(f)s.") % {"f": ", ".join(sorted(unknown))},
            code="filter_unknown",
            fields=dict.fromkeys(unknown, "unknown"),
        )
    qs = Payment.objects.filter(payment_scope(user)).select_related(
        "customer", "order", "currency", "credit_item"
    )
    if "customer" in filters:
        qs = qs.filter(customer_id=_int(filters["customer"], "customer"))
    if "order" in filters:
        qs = qs.filter(order_id=_int(filters["order"], "order"))
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if "date_from" in filters:
        qs = qs.filter(payment_date__gte=_date(filters["date_from"], "date_from"))
    if "date_to" in filters:
        qs = qs.filter(payment_date__lte=_date(filters["date_to"], "date_to"))
    if "q" in filters:
        text = str(filters["q"]).strip()
        qs = qs.filter(
            Q(bank_reference__icontains=text)
            | Q(purpose__icontains=text)
            | Q(customer__short_name__icontains=text)
            | Q(payer_tax_id=text)
        )
    return qs.order_by("-payment_date", "-pk")


def payment_get_for(user, pk: Any) -> Payment:
    try:
        return payment_list_for(user).get(pk=int(pk))
    except (Payment.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such payment."), code="payment_not_found") from None


def allocations_of(item: OpenItem | None) -> QuerySet[Allocation]:
    if item is None:
        return Allocation.objects.none()
    field = "debit" if item.side == "debit" else "credit"
    return (
        Allocation.objects.filter(**{field: item})
        .select_related("debit", "credit", "debit__currency", "credit__currency")
        .order_by("date", "pk")
    )


def allocation_list_for(user, filters: dict[str, Any] | None = None) -> QuerySet[Allocation]:
    from orderdesk.customers.selectors import customer_scope

    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    qs = Allocation.objects.filter(customer_scope(user, "debit__customer__")).select_related(
        "debit", "credit"
    )
    if "customer" in filters:
        qs = qs.filter(debit__customer_id=_int(filters["customer"], "customer"))
    if "order" in filters:
        qs = qs.filter(debit__order_id=_int(filters["order"], "order"))
    if "item" in filters:
        item = _int(filters["item"], "item")
        qs = qs.filter(Q(debit_id=item) | Q(credit_id=item))
    return qs.order_by("-date", "-pk")


def order_billing(user, order: Order) -> dict[str, list]:
    """The order's documents and payments the user may see, for the order card."""
    out: dict[str, list] = {}
    for doc_type, model in DOCUMENT_MODELS.items():
        out[doc_type] = list(
            model.objects.filter(document_scope(user, doc_type), order=order)
            .select_related("currency")
            .order_by("created_at", "pk")
        )
    # the payments that name the order, and those that settled its invoices without naming it
    settled = Allocation.objects.filter(debit__order_id=order.pk).values("credit_id")
    out["payments"] = list(
        Payment.objects.filter(payment_scope(user))
        .filter(Q(order=order) | Q(credit_item_id__in=settled))
        .order_by("payment_date", "pk")
    )
    return out


def customer_billing(user, customer, *, limit: int = 10) -> dict[str, list]:
    invoices = list(
        Invoice.objects.filter(document_scope(user, "invoice"), customer=customer)
        .select_related("order")
        .order_by("-created_at", "-pk")[:limit]
    )
    payments = list(
        Payment.objects.filter(payment_scope(user), customer=customer).order_by(
            "-payment_date", "-pk"
        )[:limit]
    )
    return {"invoices": invoices, "payments": payments}
