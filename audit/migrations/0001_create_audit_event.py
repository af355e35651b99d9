from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("occurred_at", models.DateTimeField(db_index=True)),
                (
                    "actor_kind",
                    models.CharField(
                        choices=[("user", "User"), ("api_key", "API key"), ("system", "System")],
                        max_length=16,
                    ),
                ),
                ("actor_id", models.CharField(max_length=64)),
                ("action", models.CharField(max_length=100)),
                ("target_type", models.CharField(blank=True, max_length=100)),
                ("target_id", models.CharField(blank=True, max_length=64)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("allowed", "Allowed"),
                            ("denied", "Denied"),
                            ("failed", "Failed"),
                        ],
                        max_length=16,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=500)),
                ("request_id", models.CharField(blank=True, max_length=64)),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                ("user_agent", models.CharField(blank=True, max_length=400)),
                ("details", models.JSONField(blank=True, default=dict)),
            ],
            options={
                "ordering": ["-occurred_at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["actor_kind", "actor_id", "occurred_at"],
                        name="audit_event_actor_time",
                    ),
                    models.Index(
                        fields=["target_type", "target_id", "occurred_at"],
                        name="audit_event_target_time",
                    ),
                    models.Index(fields=["action", "occurred_at"], name="audit_event_action_time"),
                    models.Index(fields=["request_id"], name="audit_event_request"),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("outcome__in", ["allowed", "denied", "failed"])),
                        name="audit_auditevent_outcome_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("actor_kind__in", ["user", "api_key", "system"])),
                        name="audit_auditevent_actor_kind_valid",
                    ),
                ],
            },
        ),
    ]
