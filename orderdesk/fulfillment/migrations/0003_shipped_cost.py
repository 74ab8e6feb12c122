"""The product's cost per unit on the shipment date, kept on each shipment line. Existing
shipment lines take their order line's cost (the cost at entry, base currency)."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    ShipmentLine = apps.get_model("fulfillment", "ShipmentLine")
    OrderLine = apps.get_model("orders", "OrderLine")
    ShipmentLine.objects.update(
        unit_cost=Subquery(
            OrderLine.objects.filter(pk=OuterRef("line_id")).values("cost_price")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0002_reserve_on_receipt"),
        ("orders", "0006_shipped_cost"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipmentline",
            name="unit_cost",
            field=models.DecimalField(
                db_default=Decimal("0"),
                decimal_places=4,
                default=Decimal("0"),
                max_digits=18,
                verbose_name="unit cost",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
