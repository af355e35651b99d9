import uuid

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="DataKey",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("subject", models.CharField(max_length=100, unique=True)),
                ("kek_version", models.CharField(db_index=True, max_length=16)),
                ("wrapped", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("rewrapped_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
