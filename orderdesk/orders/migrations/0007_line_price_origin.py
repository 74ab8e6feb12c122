"""Where a line's price came from, as data (`price_origin`, shown in the reader's language);
the text it was entered with stays in the same column as `price_source_text`."""

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
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="orderline",
            name="price_origin",
            field=models.JSONField(blank=True, null=True, verbose_name="price origin"),
        ),
    ]
