"""Where a line's price came from, as data (`price_origin`, shown in the reader's language);
the texts a line was entered with stay in their columns as `price_source_text` and
`discount_source_text` (the discount is now explained from `discount_breakdown`)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_shipped_cost"),
    ]

    operations = [
        # the column keeps its name: only the model's field is renamed
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="orderline", old_name="price_source", new_name="price_source_text"
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="price_source_text",
                    field=models.CharField(
                        blank=True,
                        db_column="price_source",
                        max_length=200,
                        verbose_name="price source",
                    ),
                ),
                migrations.RenameField(
                    model_name="orderline",
                    old_name="discount_source",
                    new_name="discount_source_text",
                ),
                migrations.AlterField(
                    model_name="orderline",
                    name="discount_source_text",
                    field=models.CharField(
                        blank=True,
                        db_column="discount_source",
                        max_length=255,
                        verbose_name="discount made of",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="orderline",
            name="price_origin",
            field=models.JSONField(blank=True, null=True, verbose_name="price origin"),
        ),
    ]
