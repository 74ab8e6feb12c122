"""Approval rules (data the administrator sets) and the approvals they start.

The approvals app knows nothing of orders: an approval is about a *subject* (an order id, its
number, customer, authors, amount and the deviation list the caller passes in). Decisions go
back to the caller through `hooks.on_decided`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.core.roles import Role

AMOUNT = {"max_digits": 18, "decimal_places": 2}


class RuleKind(models.TextChoices):
    DISCOUNT_OVER_CAP = "discount_over_cap", _("Manual discount above the cap")
    TOTAL_DISCOUNT_OVER_LIMIT = "total_discount_over_limit", _("Total discount above the limit")
    DISCOUNT_BUDGET_EXCEEDED = "discount_budget_exceeded", _("Discount budget exceeded")
    PRICE_BELOW_FLOOR = "price_below_floor", _("Price below the floor")
    PRICE_BELOW_LIST = "price_below_list", _("Price below the standard price")
    PAYMENT_TERMS_LONGER = "payment_terms_longer", _("Payment terms longer than the contract's")
    PREPAYMENT_LOWER = "prepayment_lower", _("Prepayment lower than the contract's")
    CURRENCY_DIFFERS = "currency_differs", _("Currency other than the contract's")
    PAYMENT_METHOD_DIFFERS = "payment_method_differs", _("Payment method other than the contract's")
    DELIVERY_TERMS_DIFFER = "delivery_terms_differ", _("Delivery terms other than the contract's")
    ORDER_AMOUNT_OVER_THRESHOLD = "order_amount_over_threshold", _("Order amount over a threshold")
    CREDIT_OVERRIDE_REQUESTED = "credit_override_requested", _("Credit override requested")


class StageMode(models.TextChoices):
    ANY = "any", _("any one")
    ALL = "all", _("all")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned for rework")
    CANCELLED = "cancelled", _("Cancelled")


class StageStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned")
    CLOSED = "closed", _("Closed")


class Decision(models.TextChoices):
    APPROVE = "approve", _("approve")
    REJECT = "reject", _("reject")
    RETURN = "return", _("return for rework")


class ApprovalRule(models.Model):
    """When a deviation of `kind` (above `threshold`, if set) is found, the route applies."""

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("deviation kind"), max_length=40, choices=RuleKind.choices)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("The rule fires only when the deviating value is above it."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return self.name


class RuleStage(models.Model):
    """One step of a rule's route: a role or named users, any one or all of them."""

    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.CASCADE, related_name="stages", verbose_name=_("rule")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("users")
    )
    mode = models.CharField(
        _("who decides"), max_length=8, choices=StageMode.choices, default="any"
    )
    min_amount = models.DecimalField(
        _("only above amount (base currency)"), null=True, blank=True, **AMOUNT
    )
    deadline_hours = models.PositiveIntegerField(_("deadline, hours"), default=24)
    escalate_to_role = models.CharField(
        _("escalate to role"),
        max_length=32,
        choices=Role.choices,
        default=Role.ADMINISTRATOR,
        blank=True,
    )

    class Meta:
        verbose_name = _("route stage")
        verbose_name_plural = _("route stages")
        ordering = ["rule", "position", "id"]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.position}"


class Delegation(models.Model):
    """`user`'s approval tasks may be decided by `deputy` from `valid_from` to `valid_to`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("deputy"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.user} → {self.deputy}"


class Approval(models.Model):
    """One approval of one subject (an order), through its stages; `version` grows with every
    (re)start, so a decision made on an old view is refused."""

    subject_type = models.CharField(_("subject type"), max_length=32, default="order")
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject_number = models.CharField(_("subject number"), max_length=64)
    customer_id = models.PositiveBigIntegerField(_("customer id"), null=True, blank=True)
    customer_name = models.CharField(_("customer"), max_length=255, blank=True)
    authors = models.JSONField(_("authors"), default=list)
    amount = models.DecimalField(_("amount, base currency"), default=0, **AMOUNT)
    status = models.CharField(
        _("status"), max_length=12, choices=ApprovalStatus.choices, default="pending"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    rules = models.JSONField(_("rules that fired"), default=list)
    deviations = models.JSONField(_("deviations"), default=list)
    terms = models.JSONField(_("terms"), default=dict)
    previous = models.JSONField(_("at the last decision"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "status"])]

    def __str__(self) -> str:
        return f"{self.subject_number} #{self.pk}"


class ApprovalStage(models.Model):
    """A stage of a running approval: locked by whoever decides in it."""

    approval = models.ForeignKey(
        Approval, on_delete=models.CASCADE, related_name="stages", verbose_name=_("approval")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=255, blank=True)
    mode = models.CharField(_("who decides"), max_length=8, choices=StageMode.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=StageStatus.choices, default="waiting"
    )
    deadline_hours = models.PositiveIntegerField(_("deadline, hours"), default=24)
    escalate_to_role = models.CharField(_("escalate to role"), max_length=32, blank=True)
    candidates = models.JSONField(_("approvers"), default=list)

    class Meta:
        verbose_name = _("approval stage")
        verbose_name_plural = _("approval stages")
        ordering = ["approval", "version", "position"]

    def __str__(self) -> str:
        return f"{self.approval_id}/{self.version}/{self.position}"


class ApprovalTask(models.Model):
    stage = models.ForeignKey(
        ApprovalStage, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("stage")
    )
    approval = models.ForeignKey(
        Approval, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("approval")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_tasks",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default="open"
    )
    due_at = models.DateTimeField(_("due at"))
    escalated = models.BooleanField(_("escalated"), default=False)
    escalated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("escalated from")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return f"{self.approval} → {self.assignee}"


class ApprovalDecision(models.Model):
    """What was decided, by whom, and what the approver saw (deviations and terms)."""

    approval = models.ForeignKey(
        Approval, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("approval")
    )
    stage = models.ForeignKey(
        ApprovalStage, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("stage")
    )
    task = models.OneToOneField(
        ApprovalTask, on_delete=models.CASCADE, related_name="decision", verbose_name=_("task")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("what was decided on"), default=dict)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} by {self.by_id}"


class ApprovalComment(models.Model):
    approval = models.ForeignKey(
        Approval, on_delete=models.CASCADE, related_name="comments", verbose_name=_("approval")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval comment")
        verbose_name_plural = _("approval comments")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:50]
