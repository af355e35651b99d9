"""Interactions record which card-data scanner version their summary went through.

Existing rows start at version 1, so `rescan_notes` re-scans them with the current scanner.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_create_customers"),
    ]

    operations = [
        migrations.AddField(
            model_name="interaction",
            name="scanned_version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
    ]
