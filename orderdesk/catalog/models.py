from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.core.models import Currency


class ProductGroup(models.Model):
    """A group of products that discounts and reports cut by."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("parent group")
    )

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something we sell, in a unit, with its VAT rate and cost price."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=16, default="шт")
    vat_rate = models.DecimalField(
        _("VAT rate, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    cost_price = models.DecimalField(
        _("cost price"),
        max_digits=18,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    cost_currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, default="UAH", verbose_name=_("cost currency")
    )
    group = models.ForeignKey(
        ProductGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("product group"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vat_rate__gte=0, vat_rate__lte=100), name="catalog_vat_range"
            ),
            models.CheckConstraint(
                condition=models.Q(cost_price__gte=0), name="catalog_cost_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Warehouse(models.Model):
    """A place goods ship from."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    address = models.CharField(_("address"), max_length=255, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StockBalance(models.Model):
    """On hand and reserved of one product in one warehouse.

    The row exists from the moment the product or the warehouse is set up, so reserving
    stock always has a row to lock.
    """

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="balances", verbose_name=_("product")
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="balances", verbose_name=_("warehouse")
    )
    on_hand = models.DecimalField(_("on hand"), max_digits=18, decimal_places=3, default=0)
    reserved = models.DecimalField(_("reserved"), max_digits=18, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="catalog_balance_pair"),
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0) & models.Q(reserved__lte=models.F("on_hand")),
                name="catalog_reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved
