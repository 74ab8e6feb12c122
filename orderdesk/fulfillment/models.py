"""Warehouse records: stock moves, reservations, releases, shipments, line cancellations.

The balances themselves live in `catalog.StockBalance` (a row per product and warehouse,
locked FOR UPDATE by every change here); the shipped and cancelled quantities of a line live
on `orders.OrderLine`. These models keep the warehouse's own facts and their history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.billing.models import DeliveryNote, Invoice
from orderdesk.catalog.models import Product, Warehouse
from orderdesk.orders.models import CancellationReason, DeliveryScheduleEntry, Order, OrderLine

QTY = {"max_digits": 18, "decimal_places": 3}


class FulfillmentSettings(models.Model):
    """The warehouse's settings (one row, edited in the admin)."""

    close_partially_shipped = models.BooleanField(
        _("close partially shipped orders"),
        default=True,
        help_text=_(
            "An order whose remainder was cancelled (shipped in part) closes itself once paid; "
            "when off, such an order waits for a person to close it."
        ),
    )
    reserve_on_confirm = models.BooleanField(
        _("reserve stock when an order is confirmed"), default=True
    )
    reserve_on_receipt = models.BooleanField(
        _("reserve received and freed stock for backorders"),
        default=True,
        help_text=_(
            "Goods received, found by a count or given back by another order (cancelled, "
            "closed, amended down) go first to confirmed orders whose reserved lines still "
            "lack stock, the earliest due first."
        ),
    )

    class Meta:
        verbose_name = _("warehouse settings")
        verbose_name_plural = _("warehouse settings")

    def __str__(self) -> str:
        return str(_("warehouse settings"))

    @classmethod
    def load(cls) -> FulfillmentSettings:
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls(pk=1)


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ADJUSTMENT = "adjustment", _("Adjustment")
    SHIPMENT = "shipment", _("Shipment")


class StockMove(models.Model):
    """A change of on-hand stock: a receipt, an adjustment (signed) or a shipment (negative)."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MoveKind.choices)
    quantity = models.DecimalField(_("quantity"), **QTY)
    on_hand_after = models.DecimalField(_("on hand after"), **QTY)
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    shipment = models.ForeignKey(
        "Shipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        verbose_name=_("shipment"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}@{self.warehouse_id} {self.quantity}"


class Reservation(models.Model):
    """Stock held for one order line in the order's warehouse (what is not held is backordered)."""

    line = models.OneToOneField(
        OrderLine,
        on_delete=models.CASCADE,
        related_name="reservation",
        verbose_name=_("order line"),
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="reservations", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    quantity = models.DecimalField(_("reserved"), default=Decimal("0"), **QTY)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["order", "line__position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="fulfillment_reservation_non_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"


class Release(models.Model):
    """An explicit release of an order's due quantities to the warehouse."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="releases", verbose_name=_("order")
    )
    due_on = models.DateField(_("released for"))
    automatic = models.BooleanField(_("automatic"), default=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), auto_now_add=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-released_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_on}"


class ReleaseLine(models.Model):
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="lines", verbose_name=_("release")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="releases", verbose_name=_("order line")
    )
    schedule_entry = models.ForeignKey(
        DeliveryScheduleEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scheduled delivery"),
    )
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), **QTY)

    class Meta:
        verbose_name = _("released line")
        verbose_name_plural = _("released lines")
        ordering = ["release", "line__position", "date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="fulfillment_release_qty_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} {self.date}: {self.quantity}"


class Shipment(models.Model):
    """Goods of one order that left the warehouse together, with the documents made for them."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("order")
    )
    number = models.CharField(_("number"), max_length=48, unique=True)
    shipped_on = models.DateField(_("shipped on"))
    delivery_note = models.ForeignKey(
        DeliveryNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivery note"),
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invoice"),
    )
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shipped by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_on", "-id"]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("shipment")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="shipment_lines", verbose_name=_("line")
    )
    quantity = models.DecimalField(_("quantity"), **QTY)
    from_reservation = models.DecimalField(_("from reservation"), default=Decimal("0"), **QTY)
    # the product's cost per unit on the shipment date, base currency (profitability)
    unit_cost = models.DecimalField(
        _("unit cost"),
        max_digits=18,
        decimal_places=4,
        default=Decimal("0"),
        db_default=Decimal("0"),
    )

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment", "line__position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="fulfillment_shipment_qty_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity}"


class LineCancellation(models.Model):
    """A cancelled quantity of an order line: why, who, when (the reports count these)."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="line_cancellations", verbose_name=_("order")
    )
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="cancellations", verbose_name=_("line")
    )
    quantity = models.DecimalField(_("quantity"), **QTY)
    reason = models.ForeignKey(
        CancellationReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("reason")
    )
    comment = models.TextField(_("comment"), blank=True)
    reservation_returned = models.DecimalField(
        _("reservation returned"), default=Decimal("0"), **QTY
    )
    credit_note_id = models.PositiveBigIntegerField(_("credit note"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    created_at = models.DateTimeField(_("cancelled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("line cancellation")
        verbose_name_plural = _("line cancellations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reason", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="fulfillment_cancel_qty_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity} ({self.reason_id})"
