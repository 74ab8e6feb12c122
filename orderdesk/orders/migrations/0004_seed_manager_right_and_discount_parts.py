from django.db import migrations
from django.db.models import F

# Reassigning an order's responsible manager is a right of its own since the pricing issue:
# heads of sales and administrators by default.
MANAGER_RIGHT = ["sales_head", "administrator"]


def seed(apps, schema_editor):
    TermRight = apps.get_model("orders", "TermRight")
    OrderLine = apps.get_model("orders", "OrderLine")
    for role in MANAGER_RIGHT:
        TermRight.objects.get_or_create(role=role, term="manager")
    # Lines entered before discounts had parts: what was entered was the manual discount.
    OrderLine.objects.update(manual_discount_percent=F("discount_percent"))


def backwards(apps, schema_editor):
    apps.get_model("orders", "TermRight").objects.filter(term="manager").delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_pricing_discounts")]
    operations = [migrations.RunPython(seed, backwards)]
