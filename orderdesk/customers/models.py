from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import PREPAYMENT_TRIGGERS, InstalmentTrigger, PaymentMethodKind

tax_id_validator = RegexValidator(
    r"^(\d{8}|\d{10})$", _("ЄДРПОУ has 8 digits, ІПН has 10."), code="tax_id_invalid"
)
vat_number_validator = RegexValidator(
    r"^\d{9,12}$", _("A VAT payer number has 9 to 12 digits."), code="vat_number_invalid"
)


class SalesTeam(models.Model):
    """A sales head and the managers whose orders the head sees and approves."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="teams_led",
        verbose_name=_("head of sales"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sales_teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("sales team")
        verbose_name_plural = _("sales teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerGroup(models.Model):
    """Customers that share price lists, discounts or a credit limit (e.g. wholesale)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PaymentTerms(models.Model):
    """A payment schedule template: instalments, each a share of the amount with a due rule."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def prepayment_percent(self) -> Decimal:
        return sum(
            (i.share_percent for i in self.instalments.all() if i.trigger in PREPAYMENT_TRIGGERS),
            Decimal(0),
        )

    @property
    def max_days(self) -> int:
        return max((i.days for i in self.instalments.all()), default=0)


class PaymentTermsInstalment(models.Model):
    """One part of a payment schedule: e.g. 50 % 14 days after shipment."""

    terms = models.ForeignKey(
        PaymentTerms,
        on_delete=models.CASCADE,
        related_name="instalments",
        verbose_name=_("payment terms"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    share_percent = models.DecimalField(
        _("share, %"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    trigger = models.CharField(_("due after"), max_length=20, choices=InstalmentTrigger.choices)
    days = models.PositiveSmallIntegerField(_("days"), default=0)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["terms", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_percent__gt=0, share_percent__lte=100),
                name="customers_instalment_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.share_percent}% {self.get_trigger_display()} +{self.days}"


class PaymentMethod(models.Model):
    """How the customer pays: bank, card via a payment service, cash, COD, intermediary."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentMethodKind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("payment method")
        verbose_name_plural = _("payment methods")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryMethod(models.Model):
    """How goods reach the customer (pickup, own transport, a carrier)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("delivery method")
        verbose_name_plural = _("delivery methods")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A legal entity or sole trader we sell to, owned by a responsible sales manager."""

    legal_name = models.CharField(_("legal name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=128)
    tax_id = models.CharField(
        _("tax id (ЄДРПОУ/ІПН)"), max_length=10, unique=True, validators=[tax_id_validator]
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=12, blank=True, validators=[vat_number_validator]
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    legal_address = models.CharField(_("legal address"), max_length=255, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("responsible manager"),
    )
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("customer group"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["short_name"]
        indexes = [models.Index(fields=["manager", "short_name"])]

    def __str__(self) -> str:
        return self.short_name


class Contact(models.Model):
    """A person at the customer."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=128)
    position = models.CharField(_("position"), max_length=128, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "-is_primary", "name"]

    def __str__(self) -> str:
        return self.name
