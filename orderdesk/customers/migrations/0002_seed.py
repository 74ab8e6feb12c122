from decimal import Decimal

from django.db import migrations

PAYMENT_METHODS = [
    ("bank", "Безготівковий розрахунок", "bank_transfer"),
    ("card", "Оплата карткою онлайн", "card"),
    ("cash", "Готівка", "cash"),
    ("cod", "Накладений платіж", "cash_on_delivery"),
    ("agent", "Через посередника", "intermediary"),
]
DELIVERY_METHODS = [
    ("pickup", "Самовивіз"),
    ("own", "Власна доставка"),
    ("carrier", "Перевізник (Нова пошта)"),
]
TERMS = [
    ("prepay100", "100% передоплата", [(Decimal("100"), "on_order", 0)]),
    ("net14", "Відстрочка 14 днів", [(Decimal("100"), "after_shipment", 14)]),
    ("net30", "Відстрочка 30 днів", [(Decimal("100"), "after_shipment", 30)]),
    ("half50", "50% передоплата, 50% через 14 днів після відвантаження",
     [(Decimal("50"), "on_order", 0), (Decimal("50"), "after_shipment", 14)]),
]


def seed(apps, schema_editor):
    PaymentMethod = apps.get_model("customers", "PaymentMethod")
    DeliveryMethod = apps.get_model("customers", "DeliveryMethod")
    PaymentTerms = apps.get_model("customers", "PaymentTerms")
    Instalment = apps.get_model("customers", "PaymentTermsInstalment")
    for code, name, kind in PAYMENT_METHODS:
        PaymentMethod.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    for code, name in DELIVERY_METHODS:
        DeliveryMethod.objects.get_or_create(code=code, defaults={"name": name})
    for code, name, parts in TERMS:
        terms, created = PaymentTerms.objects.get_or_create(code=code, defaults={"name": name})
        if created:
            for i, (share, trigger, days) in enumerate(parts, start=1):
                Instalment.objects.create(terms=terms, position=i, share_percent=share, trigger=trigger, days=days)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
