"""Order states and the declared table of allowed moves.

`status` is the commercial state. Fulfillment and payment progress run in parallel and are
kept in their own fields; the report states (awaiting payment, awaiting shipment) derive
from the three together.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    CREDIT_HOLD = "credit_hold", _("Credit hold")
    CONFIRMED = "confirmed", _("Confirmed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class OrderAction(models.TextChoices):
    CONFIRM = "confirm", _("confirm")
    CANCEL = "cancel", _("cancel")
    CLOSE = "close", _("close")
    AMEND = "amend", _("amend")
    EDIT = "edit", _("edit")
    SUBMIT = "submit", _("submit")
    APPROVE = "approve", _("approve")
    REJECT = "reject", _("reject")
    RETURN = "return", _("return for rework")
    REOPEN = "reopen", _("reopen approval")
    HOLD = "hold", _("hold for credit")
    RELEASE = "release", _("release from credit hold")


S, A = OrderStatus, OrderAction

# (from, action) -> to. The only place that says what may happen to an order.
# submit/confirm of a draft: approval when rules fire (pending_approval), else confirmation;
# confirmation runs the credit check and may hold the order (credit_hold) instead.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.PENDING_APPROVAL,
    (S.DRAFT, A.CONFIRM): S.CONFIRMED,
    (S.DRAFT, A.HOLD): S.CREDIT_HOLD,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, A.APPROVE): S.CONFIRMED,
    (S.PENDING_APPROVAL, A.HOLD): S.CREDIT_HOLD,
    (S.PENDING_APPROVAL, A.REJECT): S.DRAFT,
    (S.PENDING_APPROVAL, A.RETURN): S.DRAFT,
    (S.PENDING_APPROVAL, A.CANCEL): S.CANCELLED,
    (S.CREDIT_HOLD, A.RELEASE): S.CONFIRMED,
    (S.CREDIT_HOLD, A.RETURN): S.DRAFT,
    (S.CREDIT_HOLD, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.AMEND): S.CONFIRMED,
    (S.CONFIRMED, A.REOPEN): S.PENDING_APPROVAL,
    (S.CONFIRMED, A.HOLD): S.CREDIT_HOLD,
    (S.CONFIRMED, A.CANCEL): S.CANCELLED,
    (S.CONFIRMED, A.CLOSE): S.CLOSED,
}

# Actions a service takes on its own as the outcome of another (never a button or an API
# call of their own): an approval decides approve/reject, credit control holds and releases.
SYSTEM_ACTIONS = {A.APPROVE, A.REJECT, A.REOPEN, A.HOLD, A.RELEASE}


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
