"""Costs in base currency: a line's cost at entry, and the cost of what it shipped.

Before, a line kept its product's cost price in the product's cost currency, while the
reports read it as base currency. Existing lines of products costed in another currency are
converted at the rate on the order date (left as they are when no rate exists then), and
the cost of what shipped is taken as shipped quantity x that cost (the cost on each
shipment date was not recorded before)."""

from decimal import Decimal

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def forwards(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    ExchangeRate = apps.get_model("core", "ExchangeRate")
    base = settings.ORDERDESK["BASE_CURRENCY"]
    foreign = (
        OrderLine.objects.exclude(product__cost_currency_id=base)
        .exclude(cost_price=0)
        .select_related("order", "product")
    )
    rates = {}
    changed = []
    for line in foreign.iterator(chunk_size=2000):
        key = (line.product.cost_currency_id, line.order.order_date)
        if key not in rates:
            found = (
                ExchangeRate.objects.filter(currency_id=key[0], date__lte=key[1])
                .order_by("-date")
                .values_list("rate", "units")
                .first()
            )
            rates[key] = None if found is None else Decimal(found[0]) / Decimal(found[1])
        if rates[key] is not None:
            line.cost_price = (line.cost_price * rates[key]).quantize(Decimal("0.0001"))
            changed.append(line)
    OrderLine.objects.bulk_update(changed, ["cost_price"], batch_size=2000)
    OrderLine.objects.filter(shipped_quantity__gt=0).update(
        shipped_cost=F("shipped_quantity") * F("cost_price")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("orders", "0005_alter_order_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="shipped_cost",
            field=models.DecimalField(
                db_default=Decimal("0"),
                decimal_places=4,
                default=Decimal("0"),
                max_digits=20,
                verbose_name="cost of shipped goods",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
