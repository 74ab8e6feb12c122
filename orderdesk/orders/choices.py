"""Order states and the declared table of allowed moves.

`status` is the commercial state. Fulfillment and payment progress run in parallel and are
kept in their own fields; the report states (awaiting payment, awaiting shipment) derive
from the three together.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class OrderAction(models.TextChoices):
    CONFIRM = "confirm", _("confirm")
    CANCEL = "cancel", _("cancel")
    CLOSE = "close", _("close")
    AMEND = "amend", _("amend")
    EDIT = "edit", _("edit")


S, A = OrderStatus, OrderAction

# (from, action) -> to. The only place that says what may happen to an order.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.CONFIRM): S.CONFIRMED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.AMEND): S.CONFIRMED,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CLOSE): S.CLOSED,
}


class FulfillmentStatus(models.TextChoices):
    NOT_RELEASED = "not_released", _("Not released")
    RELEASED = "released", _("Released to warehouse")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")


class PaymentStatus(models.TextChoices):
    NOT_DUE = "not_due", _("Not due")
    PREPAYMENT_DUE = "prepayment_due", _("Prepayment due")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")


class Term(models.TextChoices):
    """Order terms whose change is a right of its own (the rights matrix)."""

    PRICE = "price", _("price")
    DISCOUNT = "discount", _("discount")
    PAYMENT_TERMS = "payment_terms", _("payment terms")
    PAYMENT_METHOD = "payment_method", _("payment method")
    CURRENCY = "currency", _("currency")
    DELIVERY_TERMS = "delivery_terms", _("delivery terms")
    MANAGER = "manager", _("responsible manager")


# Which header field belongs to which term right.
HEADER_TERM = {
    "currency": Term.CURRENCY,
    "price_list": Term.PRICE,
    "payment_terms": Term.PAYMENT_TERMS,
    "payment_method": Term.PAYMENT_METHOD,
    "delivery_method": Term.DELIVERY_TERMS,
    "delivery_terms": Term.DELIVERY_TERMS,
    "manager": Term.MANAGER,
    "discount_percent": Term.DISCOUNT,  # the order-level discount
}
