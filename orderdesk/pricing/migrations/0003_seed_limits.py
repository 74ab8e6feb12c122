from decimal import Decimal

from django.db import migrations

# Manual discount a role gives without approval; the administrator changes these.
ROLE_CAPS = {"sales_manager": Decimal("5"), "sales_head": Decimal("15"), "administrator": Decimal("100")}


def seed(apps, schema_editor):
    apps.get_model("pricing", "PricingLimits").objects.get_or_create(pk=1)
    Cap = apps.get_model("pricing", "RoleDiscountCap")
    for role, cap in ROLE_CAPS.items():
        Cap.objects.get_or_create(role=role, defaults={"max_manual_discount": cap})


class Migration(migrations.Migration):
    dependencies = [("pricing", "0002_prices_discounts_limits")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
