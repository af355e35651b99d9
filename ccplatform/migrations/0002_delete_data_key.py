"""The data key table goes: data keys now live on their subjects' rows (DataKeyFields).

Its rows are copied out first by the subjects' own migrations (customers 0003 runs before
this one), so nothing is lost; unapplying this recreates the table for them to refill.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ccplatform", "0001_create_data_key"),
    ]

    operations = [
        migrations.DeleteModel(
            name="DataKey",
        ),
    ]
