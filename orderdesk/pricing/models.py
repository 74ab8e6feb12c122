from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.catalog.models import Product, ProductGroup
from orderdesk.core.models import Currency
from orderdesk.core.roles import Role
from orderdesk.customers.models import (
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
)

from .choices import DiscountKind, PriceListKind, Rounding, Stacking

PERCENT = {"max_digits": 5, "decimal_places": 2}


class PriceList(models.Model):
    """A named set of prices in one currency (e.g. "Wholesale", "Retail")."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, verbose_name=_("currency"))
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=False)
    customer_groups = models.ManyToManyField(
        CustomerGroup, blank=True, related_name="price_lists", verbose_name=_("customer groups")
    )
    active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PriceListKind.choices, default=PriceListKind.ITEMS
    )
    base_list = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived_lists",
        verbose_name=_("base list"),
    )
    percent = models.DecimalField(
        _("adjustment or markup, %"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Derived: the base price +/- this percent. Cost plus: the markup on cost."),
    )
    rounding = models.CharField(
        _("rounding"), max_length=8, choices=Rounding.choices, default=Rounding.NONE
    )

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gt=-100), name="pricing_list_percent_above_minus_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    """The price of a product in a list from a date (and from a quantity, for breaks)."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="items", verbose_name=_("price list")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    price = models.DecimalField(
        _("price"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)]
    )
    min_quantity = models.DecimalField(
        _("from quantity"), max_digits=18, decimal_places=3, default=Decimal("0")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["price_list", "product", "min_quantity", "-valid_from"]
        indexes = [models.Index(fields=["price_list", "product", "valid_from"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="pricing_price_nonneg"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricing_item_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.product_id}: {self.price}"


class Contract(models.Model):
    """A contract (договір) with a customer: the standard terms its orders start from."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    number = models.CharField(_("number"), max_length=64)
    date = models.DateField(_("date"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, verbose_name=_("currency"))
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
    max_manual_discount = models.DecimalField(
        _("max manual discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_default = models.BooleanField(_("default contract"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["customer", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(is_default=True),
                name="pricing_one_default_contract",
            ),
            models.UniqueConstraint(fields=["customer", "number"], name="pricing_contract_number"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricing_contract_period_order",
            ),
        ]

    def __str__(self) -> str:
        return _("contract %(number)s of %(date)s") % {
            "number": self.number,
            "date": self.date.strftime("%d.%m.%Y"),
        }

    def valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class ContractPrice(models.Model):
    """An individual price agreed in a contract: net, in the contract's currency; it overrides
    every price list for the contract's orders while it is valid."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="prices", verbose_name=_("contract")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    price = models.DecimalField(
        _("price"), max_digits=18, decimal_places=4, validators=[MinValueValidator(0)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract price")
        verbose_name_plural = _("contract prices")
        ordering = ["contract", "product", "-valid_from"]
        indexes = [models.Index(fields=["contract", "product", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="pricing_contract_price_nonneg"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricing_contract_price_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.product_id}: {self.price}"


class DiscountPolicy(models.Model):
    """An automatic discount: for a customer group, a product group, from a quantity or from an
    order amount, in a period; priority and stacking say how it combines with the others."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=DiscountKind.choices)
    customer_group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer group"),
    )
    product_group = models.ForeignKey(
        ProductGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product group"),
    )
    percent = models.DecimalField(_("discount, %"), **PERCENT, default=Decimal("0"))
    tiers = models.JSONField(
        _("tiers"),
        default=list,
        blank=True,
        help_text=_('[{"from": "10", "percent": "2"}, ...] by ascending threshold'),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    stacking = models.CharField(
        _("stacking"), max_length=16, choices=Stacking.choices, default=Stacking.EXCLUSIVE
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("discount policy")
        verbose_name_plural = _("discount policies")
        ordering = ["-priority", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100),
                name="pricing_policy_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricing_policy_period_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PricingLimits(models.Model):
    """The one row of limits on discounts and prices (the administrator's): exceeding one is
    not refused at entry, it is a deviation the approval routes."""

    max_order_discount_percent = models.DecimalField(
        _("max total discount of an order, %"), **PERCENT, null=True, blank=True
    )
    max_order_discount_amount = models.DecimalField(
        _("max total discount of an order, base currency"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
    )
    min_margin_percent = models.DecimalField(
        _("minimum margin, %"),
        **PERCENT,
        null=True,
        blank=True,
        help_text=_("Empty: the price floor is the cost price."),
    )
    order_amount_threshold = models.DecimalField(
        _("order amount needing approval, base currency"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("pricing limits")
        verbose_name_plural = _("pricing limits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_margin_percent__isnull=True)
                | models.Q(min_margin_percent__gte=0, min_margin_percent__lt=100),
                name="pricing_limits_margin_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("pricing limits"))


class RoleDiscountCap(models.Model):
    """The largest manual line discount a role gives without approval (several roles: the
    largest cap; no row for any role: 0)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, unique=True)
    max_manual_discount = models.DecimalField(
        _("max manual discount, %"),
        **PERCENT,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("manual discount cap of a role")
        verbose_name_plural = _("manual discount caps of roles")
        ordering = ["role"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_manual_discount__gte=0, max_manual_discount__lte=100),
                name="pricing_role_cap_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.max_manual_discount}%"


class DiscountBudget(models.Model):
    """What a manager may give away in a period: the discounts granted (manual and order-level
    parts) on the manager's confirmed orders dated in the period, in the base currency."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="discount_budgets",
        verbose_name=_("manager"),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = models.DecimalField(_("budget, base currency"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("discount budget")
        verbose_name_plural = _("discount budgets")
        ordering = ["manager", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "period_start"], name="pricing_budget_manager_start"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="pricing_budget_period_order",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="pricing_budget_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} {self.period_start}–{self.period_end}: {self.amount}"


class PriceImport(models.Model):
    """An uploaded price file: checked row by row (the preview), then applied all or nothing."""

    class Mode(models.TextChoices):
        ADD = "add", _("add to the list's prices")
        REPLACE = "replace", _("replace all the list's prices")

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("previewed")
        APPLIED = "applied", _("applied")

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="imports", verbose_name=_("price list")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ADD)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PREVIEWED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("price import")
        verbose_name_plural = _("price imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
