"""Fill `CustomerBalance` from the open items already on the ledger.

Each item's open value is its open amount at its posting rate, rounded half up to the base
currency (as `receivables.calculations.open_base`), summed in Python so that SQLite, which
keeps decimals as floating point, gets the exact figure too. Only open rows are read (the
partial index). Backwards: the rows go with the table in 0002, nothing to undo here.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import migrations

# ISO 4217 minor units as in orderdesk.core.money at the time of writing (0 for JPY, KRW)
ZERO_DIGIT = {"JPY", "KRW"}


def fill(apps, schema_editor):
    OpenItem = apps.get_model("receivables", "OpenItem")
    CustomerBalance = apps.get_model("receivables", "CustomerBalance")
    alias = schema_editor.connection.alias
    base = settings.ORDERDESK["BASE_CURRENCY"].upper()
    step = Decimal(1) if base in ZERO_DIGIT else Decimal("0.01")
    totals: dict[int, list[Decimal]] = {}
    rows = (
        OpenItem.objects.using(alias)
        .filter(open_amount__gt=0)
        .values_list("customer_id", "side", "open_amount", "rate")
        .order_by()
    )
    for customer_id, side, open_amount, rate in rows.iterator(chunk_size=5000):
        entry = totals.setdefault(customer_id, [Decimal(0), Decimal(0)])
        entry[0 if side == "debit" else 1] += (open_amount * rate).quantize(
            step, rounding=ROUND_HALF_UP
        )
    CustomerBalance.objects.using(alias).bulk_create(
        [
            CustomerBalance(customer_id=customer_id, open_debit=debit, open_credit=credit)
            for customer_id, (debit, credit) in sorted(totals.items())
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("receivables", "0002_customer_balance"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
