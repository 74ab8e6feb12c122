"""Report names, the report states of an order, periods and the visibility of saved variants."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportName(models.TextChoices):
    ORDER_STATES = "order_states", _("Order states")
    AGING = "aging", _("Receivables aging")
    CANCELLATIONS = "cancellations", _("Cancellation reasons")
    PROFITABILITY = "profitability", _("Profitability")


# URL slugs (hyphens, like the rest of the site) <-> report codes (snake case, stored)
SLUG_OF = {name.value: name.value.replace("_", "-") for name in ReportName}
NAME_OF = {slug: name for name, slug in SLUG_OF.items()}


class OrderState(models.TextChoices):
    """The states the seed's reports name, derived from status + fulfillment + payment.

    Every order is in exactly one (see `states.state_expression` and docs/apps/reports.md).
    """

    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    CREDIT_HOLD = "credit_hold", _("Credit hold")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped, not closed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    OTHER = "other", _("Other")


# States of work still to do: the manager's pipeline.
OPEN_STATES = (
    OrderState.DRAFT,
    OrderState.AWAITING_APPROVAL,
    OrderState.CREDIT_HOLD,
    OrderState.AWAITING_PAYMENT,
    OrderState.AWAITING_SHIPMENT,
    OrderState.PARTIALLY_SHIPPED,
    OrderState.SHIPPED,
)


class Period(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class ProfitBasis(models.TextChoices):
    SHIPPED = "shipped", _("Shipped quantities")
    INVOICED = "invoiced", _("Invoiced quantities")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Only me")
    SHARED = "shared", _("Shared with a role")
