"""Kinds and modes of price lists and discount policies (stable lowercase values)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PriceListKind(models.TextChoices):
    """Where a list's prices come from. Derived and cost-plus prices are computed when an order
    is priced (never stale); a list's own items override the computed price of their product."""

    ITEMS = "items", _("own prices")
    DERIVED = "derived", _("derived from another list")
    COST_PLUS = "cost_plus", _("cost plus markup")


class Rounding(models.TextChoices):
    """How a computed price is rounded, in the list's currency (half up)."""

    NONE = "none", _("no rounding (0.0001)")
    CENT = "0.01", _("to 0.01")
    TEN_CENTS = "0.10", _("to 0.10")
    WHOLE = "1", _("to whole units")
    END_90 = "end_90", _("to the nearest .90 ending")


class DiscountKind(models.TextChoices):
    CUSTOMER_GROUP = "customer_group", _("customer group")
    PRODUCT_GROUP = "product_group", _("product group")
    QUANTITY = "quantity", _("quantity tiers")
    ORDER_AMOUNT = "order_amount", _("order amount tiers")


class Stacking(models.TextChoices):
    """How a policy combines with the others that apply to the same line (see
    pricing.calculations.stack_discounts)."""

    EXCLUSIVE = "exclusive", _("exclusive (alone, best by priority)")
    ADDITIVE = "additive", _("additive (percentage points add up)")
    COMPOUND = "compound", _("compound (off what remains)")


TIER_KINDS = {DiscountKind.QUANTITY, DiscountKind.ORDER_AMOUNT}
