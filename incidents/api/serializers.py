"""Serializers of the incidents API: the shapes it sends.

Output serializers read what the services wrote; nothing is saved through a serializer.
Times go out in UTC; a notice's deadline also goes out as people read it, in the zone its
days were counted in. Choices go out as listed strings (incidents.api.fields.listed). Input
serializers live in their views.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ccplatform.deadlines import Deadline
from incidents.api.fields import listed
from incidents.models import (
    AffectedCustomer,
    AffectedSet,
    ClockBasis,
    EntryKind,
    Exemption,
    Exposure,
    FollowUp,
    Incident,
    Kind,
    Nature,
    Obligation,
    ObligationStatus,
    OpenedVia,
    Review,
    Risk,
    Severity,
    Status,
    TimelineEntry,
)
from incidents.selectors import incident_current_set
from incidents.services.workflow import missing_for, next_status


class _CountsTable(serializers.DictField):
    """One table of an affected set's counts ("categories", "regions", ...); {} when absent."""

    def __init__(self, table: str, **kwargs: Any) -> None:
        self.table = table
        super().__init__(
            child=serializers.IntegerField(), source="counts", read_only=True, **kwargs
        )

    def to_representation(self, value: Any) -> dict[str, Any]:
        shown: dict[str, Any] = super().to_representation(value.get(self.table, {}))
        return shown


def _now(context: Mapping[str, Any]) -> datetime:
    """One `now` for a whole response, so every clock in it is measured at the same moment."""
    now = context.get("now")
    return now if isinstance(now, datetime) else timezone.now()


# --- Output ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="IncidentObligation")
class ObligationSerializer(serializers.ModelSerializer[Obligation]):
    """One notice the incident may owe, with its clock and, once decided, the decision."""

    basis = listed(ClockBasis, read_only=True)
    status = listed(ObligationStatus, read_only=True)
    exemption = listed(Exemption, read_only=True)
    deadline = serializers.DateTimeField(
        default_timezone=UTC, read_only=True, help_text="In UTC (`Z`)."
    )
    deadline_shown = serializers.SerializerMethodField(
        help_text="The deadline as people read it, in the zone its days were counted in."
    )
    seconds_left = serializers.SerializerMethodField(
        help_text="Until the deadline (negative once passed); null when no longer open."
    )
    decided_by = serializers.UUIDField(source="decided_by_id", read_only=True, allow_null=True)
    approver = serializers.UUIDField(source="approver_id", read_only=True, allow_null=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "rule",
            "regime",
            "recipient",
            "place",
            "source",
            "summary",
            "basis",
            "starts_at",
            "deadline",
            "zone",
            "deadline_shown",
            "seconds_left",
            "applies",
            "status",
            "decided_at",
            "decided_by",
            "reason",
            "exemption",
            "approver",
            "filed_at",
            "reference",
            "draft",
            "draft_edited",
            "sent_copy",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_deadline_shown(self, obligation: Obligation) -> str:
        return Deadline(obligation.deadline, obligation.zone).shown()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_seconds_left(self, obligation: Obligation) -> int | None:
        if not obligation.open:
            return None
        return int((obligation.deadline - _now(self.context)).total_seconds())


@extend_schema_serializer(component_name="IncidentOpenObligation")
class OpenObligationSerializer(ObligationSerializer):
    """A notice still owed, with the incident it belongs to."""

    incident = serializers.UUIDField(source="incident_id", read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    incident_title = serializers.CharField(source="incident.title", read_only=True)
    exercise = serializers.BooleanField(
        source="incident.is_exercise",
        read_only=True,
        help_text="An exercise runs the same clocks; its notices go to nobody.",
    )

    class Meta(ObligationSerializer.Meta):
        fields = [
            "incident",
            "incident_reference",
            "incident_title",
            "exercise",
            *ObligationSerializer.Meta.fields,
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentTimelineEntry")
class TimelineEntrySerializer(serializers.ModelSerializer[TimelineEntry]):
    """One thing that happened, in order; card numbers in text were masked when it was saved."""

    kind = listed(EntryKind, read_only=True)
    actor = serializers.CharField(
        read_only=True, help_text='"user:<id>", "api_key:<prefix>" or "system:<job>".'
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "kind", "text", "details"]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentAffectedSet")
class AffectedSetSerializer(serializers.ModelSerializer[AffectedSet]):
    """One computation of the affected customers: the audit query and what it found, counted."""

    query = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The audit query: actor, network, since, until (those given).",
    )
    categories = _CountsTable("categories", help_text="Affected customers per data category.")
    plaintext_categories = _CountsTable(
        "plaintext_categories", help_text="The same, counting only those seen in plain text."
    )
    regions = _CountsTable("regions", help_text='Per region of residence ("US-CA", "unknown").')

    class Meta:
        model = AffectedSet
        fields = [
            "id",
            "computed_at",
            "computed_by",
            "query",
            "total",
            "plaintext",
            "categories",
            "plaintext_categories",
            "regions",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentAffectedCustomer")
class AffectedCustomerSerializer(serializers.ModelSerializer[AffectedCustomer]):
    """One affected customer: an id, how the data was exposed, which categories, a region."""

    exposure = listed(Exposure, read_only=True)
    categories = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = AffectedCustomer
        fields = ["customer_id", "exposure", "categories", "region"]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentFollowUp")
class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    owner = serializers.UUIDField(source="owner_id", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "action", "owner", "due_on", "done_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentReview")
class ReviewSerializer(serializers.ModelSerializer[Review]):
    """The post-incident review, with the affected set re-run after containment."""

    rerun = serializers.IntegerField(source="rerun_id", read_only=True)
    written_by = serializers.UUIDField(source="written_by_id", read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = ["cause", "measures", "lessons", "rerun", "written_by", "written_at", "follow_ups"]
        read_only_fields = fields


@extend_schema_serializer(component_name="IncidentNextStep")
class NextStepSerializer(serializers.Serializer[Any]):
    status = listed(Status, read_only=True)
    # DRF moves declared fields out of the class body, so `Field.label` stays intact.
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    missing = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        read_only=True,
        help_text="What the step still needs, per field; empty when it can be taken.",
    )


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    """An incident as the register lists it."""

    status = listed(Status, read_only=True)
    nature = listed(Nature, read_only=True)
    kind = listed(Kind, read_only=True)
    severity = listed(Severity, read_only=True)
    risk = listed(Risk, read_only=True)
    opened_via = listed(OpenedVia, read_only=True)
    reporter = serializers.CharField(
        source="reporter.username",
        read_only=True,
        help_text="Username of the person, or of the service account of the key.",
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "nature",
            "kind",
            "severity",
            "risk",
            "is_exercise",
            "opened_via",
            "reporter",
            "reported_at",
            "discovered_at",
            "aware_at",
            "contained_at",
            "closed_at",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with everything its record holds: facts, next step, notices, timeline, the
    current affected set's counts and the review. Customer ids are not in it (see the
    affected sets)."""

    data_categories = serializers.ListField(child=serializers.CharField(), read_only=True)
    team_ids = serializers.SerializerMethodField()
    alert_ids = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField(
        help_text="The next status and what it still lacks; null once closed."
    )
    obligations = ObligationSerializer(many=True, read_only=True)
    timeline = TimelineEntrySerializer(many=True, read_only=True)
    affected = serializers.SerializerMethodField(
        help_text="The current (newest) affected set; null before the first computation."
    )
    review = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "description",
            "data_categories",
            "systems",
            "consequences",
            "measures",
            "team_ids",
            "alert_ids",
            "next_step",
            "obligations",
            "timeline",
            "affected",
            "review",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_team_ids(self, incident: Incident) -> list[str]:
        return sorted(str(pk) for pk in incident.affected_teams.values_list("pk", flat=True))

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_alert_ids(self, incident: Incident) -> list[str]:
        return sorted(str(pk) for pk in incident.alerts.values_list("pk", flat=True))

    @extend_schema_field(NextStepSerializer(allow_null=True))
    def get_next_step(self, incident: Incident) -> dict[str, Any] | None:
        following = next_status(incident)
        if following is None:
            return None
        step = {
            "status": following.value,
            "label": following.label,
            "missing": missing_for(incident, following),
        }
        return dict(NextStepSerializer(step).data)

    @extend_schema_field(AffectedSetSerializer(allow_null=True))
    def get_affected(self, incident: Incident) -> dict[str, Any] | None:
        current = incident_current_set(incident)
        return dict(AffectedSetSerializer(current).data) if current else None

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, incident: Incident) -> dict[str, Any] | None:
        review: Review | None = getattr(incident, "review", None)
        return dict(ReviewSerializer(review).data) if review else None


@extend_schema_serializer(component_name="IncidentContainmentResult")
class ContainmentResultSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    count = serializers.IntegerField(
        help_text="Accounts disabled, keys revoked, sessions ended, customers sealed or "
        "released, or rotation jobs started."
    )
    jobs = serializers.ListField(
        child=serializers.CharField(), help_text="The rotation jobs started (rotate_keys)."
    )
