from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.catalog.models import Product, Warehouse
from orderdesk.core.models import Currency
from orderdesk.core.roles import Role
from orderdesk.customers.models import Customer, DeliveryMethod, PaymentMethod, PaymentTerms
from orderdesk.pricing import sources as price_sources
from orderdesk.pricing.models import Contract, PriceList

from . import explain
from .choices import FulfillmentStatus, OrderStatus, PaymentStatus, Term

AMOUNT = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0")}


class CancellationReason(models.Model):
    """Why an order or a line was cancelled; the catalogue feeds the reports."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    requires_text = models.BooleanField(_("requires an explanation"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cancellation reason")
        verbose_name_plural = _("cancellation reasons")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TermRight(models.Model):
    """One cell of the rights matrix: `role` may change `term` on an order."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    term = models.CharField(_("term"), max_length=32, choices=Term.choices)

    class Meta:
        verbose_name = _("right to change a term")
        verbose_name_plural = _("rights to change terms")
        constraints = [models.UniqueConstraint(fields=["role", "term"], name="orders_term_right")]

    def __str__(self) -> str:
        return f"{self.role}: {self.term}"


class Order(models.Model):
    """A customer order with the terms copied from the contract when it was entered."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    fulfillment_status = models.CharField(
        _("fulfillment"),
        max_length=20,
        choices=FulfillmentStatus.choices,
        default=FulfillmentStatus.NOT_RELEASED,
    )
    payment_status = models.CharField(
        _("payment"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.NOT_DUE
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("contract"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_orders",
        verbose_name=_("responsible manager"),
    )
    order_date = models.DateField(_("order date"))
    requested_delivery_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    customer_reference = models.CharField(_("customer's reference"), max_length=64, blank=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, verbose_name=_("currency"))
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=18, decimal_places=6, default=Decimal("1")
    )
    price_list = models.ForeignKey(
        PriceList, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("price list")
    )
    payment_terms = models.ForeignKey(
        PaymentTerms, on_delete=models.PROTECT, verbose_name=_("payment terms")
    )
    payment_method = models.ForeignKey(
        PaymentMethod, on_delete=models.PROTECT, verbose_name=_("payment method")
    )
    delivery_method = models.ForeignKey(
        DeliveryMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("delivery method"),
    )
    delivery_terms = models.CharField(_("delivery terms"), max_length=128, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=255, blank=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, verbose_name=_("warehouse"))
    partial_shipment_allowed = models.BooleanField(_("partial shipment allowed"), default=True)
    comment = models.TextField(_("comment"), blank=True)
    discount_percent = models.DecimalField(
        _("order discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Taken off every line after its automatic and manual discounts."),
    )

    net_amount = models.DecimalField(_("net amount"), **AMOUNT)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    gross_amount = models.DecimalField(_("total"), **AMOUNT)
    base_net_amount = models.DecimalField(_("net, base currency"), **AMOUNT)
    base_vat_amount = models.DecimalField(_("VAT, base currency"), **AMOUNT)
    base_gross_amount = models.DecimalField(_("total, base currency"), **AMOUNT)
    base_granted_discount_amount = models.DecimalField(
        _("discounts granted, base currency"),
        help_text=_("The manual and order-level discounts in money (what the budget counts)."),
        **AMOUNT,
    )

    revision = models.PositiveIntegerField(_("revision"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.ForeignKey(
        CancellationReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("cancellation reason"),
    )
    cancel_comment = models.TextField(_("cancellation comment"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "-order_date"]),
            models.Index(fields=["manager", "-order_date"]),
            models.Index(fields=["status", "-order_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exchange_rate__gt=0), name="orders_rate_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="orders_order_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """A product on an order with the price, discount and VAT copied when it was entered."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=255)
    unit = models.CharField(_("unit"), max_length=16)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=18,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)]
    )
    list_price = models.DecimalField(
        _("standard price"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    # where the price came from, as data (pricing.sources); shown in the reader's language
    price_origin = models.JSONField(_("price origin"), null=True, blank=True)
    # the same as text in the language of whoever entered the line: lines entered before
    # `price_origin` existed (and bulk loads) have only this
    price_source_text = models.CharField(
        _("price source"), max_length=200, blank=True, db_column="price_source"
    )
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The effective discount: automatic, manual and order parts compounded."),
    )
    auto_discount_percent = models.DecimalField(
        _("automatic discount, %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    manual_discount_percent = models.DecimalField(
        _("manual discount, %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    # the discount explained in the language of whoever entered the line: lines entered
    # before the text was read from `discount_breakdown` (see `discount_source`)
    discount_source_text = models.CharField(
        _("discount made of"), max_length=255, blank=True, db_column="discount_source"
    )
    discount_breakdown = models.JSONField(_("discount breakdown"), default=dict, blank=True)
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), **AMOUNT)
    vat_amount = models.DecimalField(_("VAT"), **AMOUNT)
    gross_amount = models.DecimalField(_("total"), **AMOUNT)
    # cost per unit in base currency when the line was entered (the product's cost at the
    # order date's rate); the deviations' margin check reads it
    cost_price = models.DecimalField(
        _("cost price"), max_digits=18, decimal_places=4, default=Decimal("0")
    )
    requested_delivery_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    cancelled_quantity = models.DecimalField(
        _("cancelled quantity"), max_digits=18, decimal_places=3, default=Decimal("0")
    )
    shipped_quantity = models.DecimalField(
        _("shipped quantity"), max_digits=18, decimal_places=3, default=Decimal("0")
    )
    # cost of what shipped, base currency: the sum over shipments of quantity x the product's
    # cost on the shipment date (profitability reads it)
    shipped_cost = models.DecimalField(
        _("cost of shipped goods"),
        max_digits=20,
        decimal_places=4,
        default=Decimal("0"),
        db_default=Decimal("0"),
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orders_line_position"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orders_line_qty_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="orders_line_discount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    auto_discount_percent__gte=0,
                    auto_discount_percent__lte=100,
                    manual_discount_percent__gte=0,
                    manual_discount_percent__lte=100,
                ),
                name="orders_line_discount_parts_range",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    shipped_quantity__lte=models.F("quantity") - models.F("cancelled_quantity")
                ),
                name="orders_line_shipped_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position} {self.description}"

    @property
    def price_source(self) -> str:
        """Where the price came from, in the active language (from `price_origin`; a line
        entered before it existed keeps the text it was entered with)."""
        return price_sources.text(self.price_origin) or self.price_source_text

    @property
    def discount_source(self) -> str:
        """How the discount is made ("Wholesale 5 % (added) + manual 3 %"), in the active
        language, from `discount_breakdown` (a line entered before keeps its text)."""
        return explain.discount_text(self.discount_breakdown) or self.discount_source_text


class DeliveryScheduleEntry(models.Model):
    """An agreed dated quantity of a line (the delivery schedule)."""

    line = models.ForeignKey(
        OrderLine, on_delete=models.CASCADE, related_name="schedule", verbose_name=_("order line")
    )
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3)

    class Meta:
        verbose_name = _("scheduled delivery")
        verbose_name_plural = _("delivery schedule")
        ordering = ["line", "date"]
        constraints = [
            models.UniqueConstraint(fields=["line", "date"], name="orders_schedule_line_date"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orders_schedule_qty_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.quantity}"


class Amendment(models.Model):
    """An explicit, reasoned change to a confirmed order (revision n)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("order")
    )
    revision = models.PositiveIntegerField(_("revision"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["order", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["order", "revision"], name="orders_amendment_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} rev. {self.revision}"


class OrderTemplate(models.Model):
    """A named set of lines and terms that starts an order for any customer in one step."""

    name = models.CharField(_("name"), max_length=128)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="order_templates",
        verbose_name=_("owner"),
    )
    shared = models.BooleanField(_("shared with everyone"), default=False)
    payment_terms = models.ForeignKey(
        PaymentTerms,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("payment terms"),
    )
    payment_method = models.ForeignKey(
        PaymentMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("payment method"),
    )
    delivery_method = models.ForeignKey(
        DeliveryMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("delivery method"),
    )
    partial_shipment_allowed = models.BooleanField(_("partial shipment allowed"), default=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order template")
        verbose_name_plural = _("order templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrderTemplateLine(models.Model):
    template = models.ForeignKey(
        OrderTemplate, on_delete=models.CASCADE, related_name="lines", verbose_name=_("template")
    )
    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("product"))
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=18,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    discount_percent = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("template line")
        verbose_name_plural = _("template lines")
        ordering = ["template", "position"]

    def __str__(self) -> str:
        return f"{self.product_id} x {self.quantity}"
