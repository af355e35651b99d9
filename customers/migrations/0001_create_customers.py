import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("ccplatform", "0001_create_data_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("name_enc", models.TextField()),
                ("date_of_birth_enc", models.TextField(blank=True)),
                ("addresses_enc", models.TextField(blank=True)),
                ("phones_enc", models.TextField(blank=True)),
                ("emails_enc", models.TextField(blank=True)),
                ("account_number_enc", models.TextField(blank=True)),
                ("card_token_enc", models.TextField(blank=True)),
                ("card_last4_enc", models.TextField(blank=True)),
                ("medical_notes_enc", models.TextField(blank=True)),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "assigned_to",
                    models.ManyToManyField(
                        blank=True, related_name="assigned_customers", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "data_key",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customer",
                        to="ccplatform.datakey",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customers",
                        to="accounts.team",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "id"],
                "permissions": [
                    ("reveal_customer", "Can reveal a customer's masked fields (with a reason)"),
                    ("view_medical", "Can see and reveal medical fields"),
                ],
            },
        ),
        migrations.CreateModel(
            name="CustomerLookup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("phone", "phone"),
                            ("email", "email"),
                            ("account_number", "account_number"),
                        ],
                        max_length=20,
                    ),
                ),
                ("digest", models.CharField(max_length=64)),
                ("key_version", models.CharField(max_length=16)),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lookups",
                        to="customers.customer",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Interaction",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[("call", "Call"), ("chat", "Chat"), ("email", "Email")],
                        max_length=10,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("resolved", "Resolved"),
                            ("follow_up", "Follow-up needed"),
                            ("escalated", "Escalated"),
                            ("no_answer", "No answer"),
                        ],
                        max_length=20,
                    ),
                ),
                ("summary_enc", models.TextField(blank=True)),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="interactions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "ordering": ["-occurred_at"],
            },
        ),
        migrations.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("body_enc", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("scanned_version", models.PositiveSmallIntegerField(default=1)),
                (
                    "author",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customer_notes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["team", "created_at"], name="customers_team_created"),
        ),
        migrations.AddIndex(
            model_name="customerlookup",
            index=models.Index(fields=["kind", "digest"], name="customers_lookup_digest"),
        ),
        migrations.AddConstraint(
            model_name="customerlookup",
            constraint=models.UniqueConstraint(
                fields=("customer", "kind", "digest"), name="customers_lookup_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="interaction",
            index=models.Index(
                fields=["customer", "occurred_at"], name="customers_interaction_time"
            ),
        ),
        migrations.AddIndex(
            model_name="note",
            index=models.Index(fields=["customer", "created_at"], name="customers_note_time"),
        ),
    ]
