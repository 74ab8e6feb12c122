from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderdesk.catalog.models import Product
from orderdesk.core.models import Currency
from orderdesk.customers.models import (
    Customer,
    CustomerGroup,
    DeliveryMethod,
    PaymentMethod,
    PaymentTerms,
)


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

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["name"]

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
