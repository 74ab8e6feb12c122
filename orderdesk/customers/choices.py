from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethodKind(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card through a payment service")
    CASH = "cash", _("Cash")
    CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
    INTERMEDIARY = "intermediary", _("Through an intermediary")


class InstalmentTrigger(models.TextChoices):
    ON_ORDER = "on_order", _("on order")
    BEFORE_SHIPMENT = "before_shipment", _("before shipment")
    AFTER_SHIPMENT = "after_shipment", _("after shipment")
    AFTER_INVOICE = "after_invoice", _("after invoice")


PREPAYMENT_TRIGGERS = {InstalmentTrigger.ON_ORDER, InstalmentTrigger.BEFORE_SHIPMENT}
