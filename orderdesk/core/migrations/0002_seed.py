from django.db import migrations

CURRENCIES = [
    ("UAH", "Українська гривня", 2, "₴"),
    ("USD", "US dollar", 2, "$"),
    ("EUR", "Euro", 2, "€"),
    ("PLN", "Polski złoty", 2, "zł"),
]
ROLES = ["sales_manager", "sales_head", "credit_controller", "warehouse", "accountant", "administrator"]


def seed(apps, schema_editor):
    Currency = apps.get_model("core", "Currency")
    Group = apps.get_model("auth", "Group")
    for code, name, minor, symbol in CURRENCIES:
        Currency.objects.get_or_create(code=code, defaults={"name": name, "minor_unit": minor, "symbol": symbol})
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
