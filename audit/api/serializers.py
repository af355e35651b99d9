"""What the audit API sends: events, checkpoints, verification runs and alerts.

Output only: nothing in the audit log is written through a serializer. Events are sent
with their chain fields (chain, seq, prev_hash, hash), so a client holding a copy can
re-check the links itself.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer, inline_serializer
from rest_framework import serializers

from audit.models import (
    ActorKind,
    Alert,
    AlertRule,
    AlertStatus,
    AuditEvent,
    Checkpoint,
    Outcome,
    Severity,
    VerificationRun,
)
from audit.models.chains import VerificationKind


def _listed_choices(values: list[str]) -> serializers.CharField:
    """A read-only choice whose values are listed in the schema's description, not an enum.

    drf-spectacular names an enum component after its property; two enums under one name
    (`outcome` and `kind` already exist in the customers API; `status` will come with
    incidents) rename each other's components, which breaks clients generated from the
    schema. SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] can name them for good.
    """
    schema = {"type": "string", "description": f"One of: {', '.join(values)}."}
    field_class = type("ListedChoiceField", (serializers.CharField,), {})
    field: serializers.CharField = extend_schema_field(schema)(field_class)(read_only=True)
    return field


@extend_schema_serializer(component_name="AuditEvent")
class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor_kind = _listed_choices(ActorKind.values)
    outcome = _listed_choices(Outcome.values)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_kind",
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "outcome",
            "reason",
            "request_id",
            "ip",
            "user_agent",
            "details",
            "chain",
            "seq",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="AuditCheckpoint")
class CheckpointSerializer(serializers.ModelSerializer[Checkpoint]):
    class Meta:
        model = Checkpoint
        fields = ["chain", "seq", "hash", "event_id", "key_version", "signature", "created_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="AuditChainBreak")
class ChainBreakSerializer(serializers.Serializer[dict[str, object]]):
    chain = serializers.IntegerField()
    seq = serializers.IntegerField()
    event_id = serializers.IntegerField(
        allow_null=True, help_text="Null when the link itself is missing (deleted rows)."
    )
    problem = serializers.CharField()


@extend_schema_serializer(component_name="AuditVerification")
class VerificationSerializer(serializers.ModelSerializer[VerificationRun]):
    run = serializers.IntegerField(source="pk", help_text="The stored verification run.")
    breaks = ChainBreakSerializer(
        many=True, help_text="The first broken link of each broken chain; empty when intact."
    )
    kind = _listed_choices(VerificationKind.values)
    alerts = serializers.SerializerMethodField(
        help_text="Ids of the critical alerts raised (or refreshed) for the broken chains."
    )

    class Meta:
        model = VerificationRun
        fields = ["run", "ok", "kind", "events_checked", "chains_checked", "breaks", "alerts"]
        read_only_fields = fields

    def get_alerts(self, run: VerificationRun) -> list[str]:
        alerts: list[Alert] = self.context.get("alerts", [])
        return [str(alert.pk) for alert in alerts]


@extend_schema_serializer(component_name="AuditAlert")
class AlertSerializer(serializers.ModelSerializer[Alert]):
    rule = _listed_choices(AlertRule.values)
    severity = _listed_choices(Severity.values)
    status = _listed_choices(AlertStatus.values)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "severity",
            "status",
            "subject",
            "summary",
            "event_count",
            "first_seen",
            "last_seen",
            "details",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "closed_at",
            "closed_by",
            "close_note",
        ]
        read_only_fields = fields


def numbered_page(name: str, item: Any) -> Any:
    """The schema of a page-number page (ccplatform.api.pagination) of `item`."""
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


EventPage = inline_serializer(
    "AuditEventPage",
    {
        "results": AuditEventSerializer(many=True),
        "next": serializers.URLField(
            allow_null=True, help_text="The next (older) page, or null on the last page."
        ),
    },
)
CheckpointPage = numbered_page("AuditCheckpointPage", CheckpointSerializer(many=True))
AlertPage = numbered_page("AuditAlertPage", AlertSerializer(many=True))


class ActionSerializer(serializers.Serializer[Any]):
    """One declared audit action (audit.actions): what the log's `action` column can hold."""

    name = serializers.CharField()
    category = serializers.CharField()
    severity = serializers.CharField()
    summary = serializers.CharField()


ActionList = inline_serializer("AuditActionList", {"results": ActionSerializer(many=True)})
