from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .money import MAX_MINOR_UNIT


class Currency(models.Model):
    """An ISO 4217 currency a document may be in."""

    code = models.CharField(
        _("code"),
        max_length=3,
        primary_key=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Three capital letters (ISO 4217)."))],
    )
    name = models.CharField(_("name"), max_length=64)
    minor_unit = models.PositiveSmallIntegerField(
        _("minor unit digits"), default=2, validators=[MaxValueValidator(MAX_MINOR_UNIT)]
    )
    symbol = models.CharField(_("symbol"), max_length=8, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ExchangeRate(models.Model):
    """Units of base currency for `units` of `currency` on a date (NBU official rate)."""

    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="rates", verbose_name=_("currency")
    )
    date = models.DateField(_("date"))
    rate = models.DecimalField(
        _("rate"), max_digits=18, decimal_places=6, validators=[MinValueValidator(0)]
    )
    units = models.PositiveIntegerField(_("units"), default=1)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-date"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "date"], name="core_rate_one_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="core_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency_id} {self.date}: {self.rate}/{self.units}"


class NumberSeries(models.Model):
    """Counter row for a document number series per year; locked when a number is taken."""

    key = models.CharField(_("series"), max_length=64)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(fields=["key", "year"], name="core_series_key_year"),
        ]

    def __str__(self) -> str:
        return f"{self.key}/{self.year}: {self.last_value}"


class IdempotencyRecord(models.Model):
    """The first answer to a create request, replayed for a retry with the same key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    scope = models.CharField(_("scope"), max_length=64)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class ReferenceVersion(models.Model):
    """One row: a token that changes with every committed change of cached reference data
    (core.cache), so each process knows when its cached copies are stale."""

    token = models.CharField(_("token"), max_length=32, default="")

    class Meta:
        verbose_name = _("reference data version")
        verbose_name_plural = _("reference data versions")

    def __str__(self) -> str:
        return self.token
