"""What the reports app stores: saved report variants and the dashboards' summary.

The reports read every other app and are read by none. Their own rows are small: a user's
saved filter sets, and `DailySalesSummary`, the figures the dashboards show, kept at their
grain (day x responsible manager x customer x report state) by `services.summaries_refresh`.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.core.roles import Role
from orderdesk.customers.models import Customer

from .choices import SLUG_OF, OrderState, ReportName, Visibility

AMOUNT = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0")}


class SavedReport(models.Model):
    """A named set of report parameters (filters, grouping, sorting), private to its owner or
    shared with everyone holding a role."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_reports",
        verbose_name=_("owner"),
    )
    report = models.CharField(_("report"), max_length=32, choices=ReportName.choices)
    name = models.CharField(_("name"), max_length=128)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    shared_role = models.CharField(
        _("shared with role"), max_length=32, choices=Role.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["report", "name", "pk"]
        indexes = [models.Index(fields=["report", "visibility", "shared_role"])]
        constraints = [
            models.UniqueConstraint(fields=["owner", "report", "name"], name="reports_saved_name"),
            models.CheckConstraint(
                condition=models.Q(visibility="private", shared_role="")
                | models.Q(visibility="shared") & ~models.Q(shared_role=""),
                name="reports_saved_role_when_shared",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def report_slug(self) -> str:
        return SLUG_OF.get(self.report, self.report)


class DailySalesSummary(models.Model):
    """Orders of one day, one responsible manager, one customer, in one report state: how
    many, what they are worth, and what their shipped part earned (base currency).

    Rebuilt day by day from the orders (never edited by hand); the dashboards read it
    instead of the order lines.
    """

    day = models.DateField(_("order date"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("responsible manager"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    state = models.CharField(_("state"), max_length=20, choices=OrderState.choices)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    net_amount = models.DecimalField(_("net, base currency"), **AMOUNT)
    gross_amount = models.DecimalField(_("total, base currency"), **AMOUNT)
    revenue = models.DecimalField(_("shipped revenue, base currency"), **AMOUNT)
    cost = models.DecimalField(_("cost of shipped goods, base currency"), **AMOUNT)
    discount = models.DecimalField(_("discounts on shipped goods, base currency"), **AMOUNT)

    class Meta:
        verbose_name = _("daily sales summary")
        verbose_name_plural = _("daily sales summary")
        ordering = ["day", "manager", "customer", "state"]
        indexes = [models.Index(fields=["manager", "day"]), models.Index(fields=["day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "manager", "customer", "state"], name="reports_summary_grain"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.manager_id}/{self.customer_id} {self.state}: {self.orders}"


class SummaryWatermark(models.Model):
    """How far a summary has read the history: the last audit event it took into account."""

    name = models.CharField(_("summary"), max_length=64, unique=True)
    last_event_id = models.BigIntegerField(_("last event"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("summary watermark")
        verbose_name_plural = _("summary watermarks")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"
