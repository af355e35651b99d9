"""Hash-chain the audit log: chain/seq/hash columns, chain heads, the append function,
signed checkpoints, verification runs, alerts and SIEM cursors.

Events written before this migration are chained here, in id order, each on its actor's
chain, exactly as audit_record would have chained them.
"""

import uuid

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from audit.chaining import (
    POSTGRESQL_APPEND_FUNCTION,
    POSTGRESQL_DROP_APPEND_FUNCTION,
    SQLITE_ADVANCE_HEAD_TRIGGER,
    SQLITE_DROP_ADVANCE_HEAD_TRIGGER,
    canonical_text,
    chain_for,
    fields_of,
    link_hash,
)
from audit.models.chains import GENESIS_HASH
from audit.triggers import (
    CHECKPOINTS,
    EVENTS,
    VERIFICATION_RUNS,
    install_append_only,
    remove_append_only,
)


def allow_chaining(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    remove_append_only(schema_editor, [EVENTS])


def chain_existing_events(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Give every existing event its chain, sequence number, canonical text and hashes."""
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "ChainHead")
    heads: dict[int, tuple[int, str]] = {}
    for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
        chain = chain_for(event.actor_kind, event.actor_id)
        seq, prev_hash = heads.get(chain, (0, GENESIS_HASH))
        seq += 1
        canonical = canonical_text(fields_of(event))
        new_hash = link_hash(prev_hash, chain, seq, canonical)
        event_model.objects.filter(pk=event.pk).update(
            chain=chain, seq=seq, prev_hash=prev_hash, hash=new_hash, canonical=canonical
        )
        heads[chain] = (seq, new_hash)
    head_model.objects.bulk_create(
        head_model(chain=chain, seq=seq, hash=hash_) for chain, (seq, hash_) in heads.items()
    )


def install_database_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    install_append_only(schema_editor, [EVENTS, CHECKPOINTS, VERIFICATION_RUNS])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_APPEND_FUNCTION, params=None)
        # "Who saw this customer" also finds the masked list pages that named them.
        schema_editor.execute(
            "CREATE INDEX audit_event_listed_customers ON audit_auditevent "
            "USING gin (details jsonb_path_ops) WHERE action = 'customer.listed'",
            params=None,
        )
    else:
        schema_editor.execute(SQLITE_ADVANCE_HEAD_TRIGGER, params=None)


def remove_database_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    remove_append_only(schema_editor, [EVENTS, CHECKPOINTS, VERIFICATION_RUNS])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP_APPEND_FUNCTION, params=None)
        schema_editor.execute("DROP INDEX IF EXISTS audit_event_listed_customers", params=None)
    else:
        schema_editor.execute(SQLITE_DROP_ADVANCE_HEAD_TRIGGER, params=None)


def restore_event_rules(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    install_append_only(schema_editor, [EVENTS])


def noop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Going back, the chain columns are dropped with their contents."""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(allow_chaining, restore_event_rules),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("chain", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS_HASH, max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="auditevent", name="seq", field=models.BigIntegerField(null=True)
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="canonical",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, noop),
        migrations.AlterField(
            model_name="auditevent", name="chain", field=models.PositiveSmallIntegerField()
        ),
        migrations.AlterField(model_name="auditevent", name="seq", field=models.BigIntegerField()),
        migrations.AlterField(
            model_name="auditevent", name="occurred_at", field=models.DateTimeField()
        ),
        migrations.RemoveIndex(model_name="auditevent", name="audit_event_actor_time"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_event_target_time"),
        migrations.RemoveIndex(model_name="auditevent", name="audit_event_action_time"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["occurred_at", "id"], name="audit_event_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["actor_kind", "actor_id", "occurred_at", "id"],
                name="audit_event_actor_time",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["target_type", "target_id", "occurred_at", "id"],
                name="audit_event_target_time",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["action", "occurred_at", "id"], name="audit_event_action_time"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("outcome", "allowed"), _negated=True),
                fields=["occurred_at", "id"],
                name="audit_event_unallowed_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_event_chain_seq"
            ),
        ),
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("chain", models.PositiveSmallIntegerField()),
                ("seq", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("event_id", models.BigIntegerField()),
                ("key_version", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=64)),
            ],
            options={
                "ordering": ["chain", "-seq"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("chain", "seq"), name="audit_checkpoint_chain_seq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VerificationRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("full", "Full (every chain from its first link)"),
                            ("incremental", "Incremental (from each chain's last checkpoint)"),
                        ],
                        max_length=16,
                    ),
                ),
                ("trigger", models.CharField(help_text="command, schedule or api", max_length=32)),
                ("events_checked", models.BigIntegerField()),
                ("chains_checked", models.IntegerField()),
                ("ok", models.BooleanField()),
                (
                    "breaks",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text=(
                            "first broken link of each broken chain: chain, seq, event id, problem"
                        ),
                    ),
                ),
                ("checkpoints_made", models.IntegerField(default=0)),
            ],
            options={"ordering": ["-started_at"]},
        ),
        migrations.CreateModel(
            name="ForwardingCursor",
            fields=[
                ("name", models.CharField(max_length=100, primary_key=True, serialize=False)),
                (
                    "positions",
                    models.JSONField(default=dict, help_text="chain number (text) → last seq sent"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="Alert",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "rule",
                    models.CharField(
                        choices=[
                            ("bulk_access", "Bulk record access"),
                            ("off_hours_reveal", "Reveal outside working hours"),
                            ("signin_failures", "Repeated sign-in or OTP failures"),
                            ("access_denied_burst", "Burst of denied access"),
                            ("break_glass", "Break-glass access used"),
                            ("verification_failed", "Audit chain verification failed"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "severity",
                    models.CharField(
                        choices=[
                            ("low", "Low"),
                            ("medium", "Medium"),
                            ("high", "High"),
                            ("critical", "Critical"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("acknowledged", "Acknowledged"),
                            ("closed", "Closed"),
                        ],
                        default="open",
                        max_length=16,
                    ),
                ),
                ("subject", models.CharField(max_length=100)),
                ("summary", models.CharField(max_length=300)),
                ("event_count", models.IntegerField(default=0)),
                ("first_seen", models.DateTimeField()),
                ("last_seen", models.DateTimeField()),
                ("details", models.JSONField(blank=True, default=dict)),
                ("raised_at", models.DateTimeField()),
                ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                ("acknowledged_by", models.CharField(blank=True, max_length=100)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("closed_by", models.CharField(blank=True, max_length=100)),
                ("close_note", models.TextField(blank=True)),
            ],
            options={
                "ordering": ["-raised_at"],
                "indexes": [
                    models.Index(fields=["status", "raised_at"], name="audit_alert_status_time")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["open", "acknowledged"])),
                        fields=("rule", "subject"),
                        name="audit_alert_one_active_per_subject",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["open", "acknowledged", "closed"])),
                        name="audit_alert_status_valid",
                    ),
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "ordering": ["-occurred_at", "-id"],
                "permissions": [
                    ("export_auditevent", "Can export audit events"),
                    ("verify_auditevent", "Can run audit chain verification"),
                ],
            },
        ),
        migrations.RunPython(install_database_rules, remove_database_rules),
    ]
