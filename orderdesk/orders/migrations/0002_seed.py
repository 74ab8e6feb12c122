from django.db import migrations

REASONS = [
    ("customer_refused", "Відмова клієнта", False),
    ("out_of_stock", "Немає на складі", False),
    ("price_changed", "Змінилась ціна", False),
    ("duplicate", "Дублікат замовлення", False),
    ("other", "Інше (з поясненням)", True),
]
# Default rights matrix: managers sell within the standard; terms that move money or risk
# (payment terms, method, currency) belong to the head of sales and the administrator.
RIGHTS = {
    "sales_manager": ["price", "discount", "delivery_terms"],
    "sales_head": ["price", "discount", "payment_terms", "payment_method", "currency", "delivery_terms"],
    "administrator": ["price", "discount", "payment_terms", "payment_method", "currency", "delivery_terms"],
}


def seed(apps, schema_editor):
    Reason = apps.get_model("orders", "CancellationReason")
    TermRight = apps.get_model("orders", "TermRight")
    for code, name, requires_text in REASONS:
        Reason.objects.get_or_create(code=code, defaults={"name": name, "requires_text": requires_text})
    for role, terms in RIGHTS.items():
        for term in terms:
            TermRight.objects.get_or_create(role=role, term=term)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
