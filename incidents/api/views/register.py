"""The register: list the incidents the caller may see, report one, read one, change its
facts. incidents.services.register holds every rule; the inputs here check shape only."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.queries import validate_query
from audit.api.serializers import numbered_page
from audit.api.views.integrity import PAGE_NAMES, PAGE_PARAMETERS
from ccplatform.api.schema import ERROR_RESPONSES, VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from customers.api.serializers import FlatListField, StrictInput
from customers.api.views.common import SharedUrl
from incidents.api.fields import AwareDateTimeField, listed
from incidents.api.permissions import IncidentsHandle, IncidentsRead, IncidentsReport
from incidents.api.serializers import IncidentDetailSerializer, IncidentSerializer
from incidents.api.views.common import TAG, detail, incident_for, paged
from incidents.models import DataCategory, Kind, Nature, OpenedVia, Risk, Severity, Status
from incidents.selectors import incidents_visible_to
from incidents.services.register import TEXTS, Report, incident_open, incident_update
from incidents.services.timeline import NOTE_LIMIT, incident_viewed

IncidentPage = numbered_page("IncidentPage", IncidentSerializer(many=True))
READ_ONLY = frozenset(
    {"id", "reference", "status", "reporter", "reported_at", "opened_via", "contained_at"}
    | {"closed_at", "next_step", "obligations", "timeline", "affected", "review"}
)


def _text(name: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=TEXTS[name], required=False, allow_blank=True, **kwargs)


class FactsInput(StrictInput):
    """Facts of an incident, checked for shape; the register's service enforces the rules."""

    read_only_names = READ_ONLY

    title = serializers.CharField(max_length=TEXTS["title"])
    nature = serializers.ChoiceField(Nature.choices, help_text="Which security property.")
    kind = listed(Kind, help_text="What happened to the data (GDPR Art. 4(12)).")
    severity = serializers.ChoiceField(Severity.choices)
    risk = serializers.ChoiceField(
        Risk.choices,
        required=False,
        help_text="To people's rights and freedoms; `risk` if left out.",
    )
    description = _text("description")
    systems = _text("systems")
    consequences = _text("consequences", help_text="Likely consequences (GDPR Art. 33(3)(c)).")
    measures = _text("measures", help_text="Measures taken or proposed (GDPR Art. 33(3)(d)).")
    data_categories = FlatListField(
        child=serializers.ChoiceField(DataCategory.choices), required=False
    )
    team_ids = FlatListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Teams affected: people name their own (handlers any); theirs if left out.",
    )
    discovered_at = AwareDateTimeField(required=False)
    aware_at = AwareDateTimeField(required=False)


def _as_values(data: dict[str, Any]) -> dict[str, Any]:
    """Validated input as the services take it: ids as text."""
    return {
        name: [str(item) for item in value] if name in ("team_ids", "alert_ids") else value
        for name, value in data.items()
    }


class _ListFilters(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(Status.choices, required=False)
    exercise = serializers.BooleanField(required=False, allow_null=True, default=None)


class IncidentListApi(APIView):
    """The incidents the caller may see, newest first."""

    permission_classes = [IncidentsRead]

    @extend_schema(
        tags=TAG,
        operation_id="incidents_list",
        summary="List incidents",
        description=(
            "Incident handlers see every incident; people who follow incidents see those they "
            "reported and those affecting one of their teams; an `incidents:write` key sees "
            "the ones it reported. Newest first. An unknown parameter is a 400 naming it."
        ),
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, description=f"One of: {', '.join(Status.values)}."
            ),
            OpenApiParameter(
                "exercise",
                OpenApiTypes.BOOL,
                description="true: exercises only; false: real incidents only.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={200: IncidentPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        filters = _ListFilters(data=request.query_params)
        validate_query(request, options=filters, also_known=PAGE_NAMES)
        rows = incidents_visible_to(caller_of(request))
        if "status" in filters.validated_data:
            rows = rows.filter(status=filters.validated_data["status"])
        if filters.validated_data["exercise"] is not None:
            rows = rows.filter(is_exercise=filters.validated_data["exercise"])
        return paged(request, self, rows.order_by("-reported_at", "id"), IncidentSerializer)


class IncidentReportApi(APIView):
    """Report an incident: a person, or a SIEM or SOAR with an `incidents:write` key."""

    permission_classes = [IncidentsReport]

    @extend_schema_serializer(component_name="IncidentReportInput")
    class InputSerializer(FactsInput):
        discovered_reason = serializers.CharField(
            max_length=NOTE_LIMIT,
            required=False,
            allow_blank=True,
            help_text="Why discovered_at differs from the earliest linked alert's first_seen.",
        )
        alert_ids = FlatListField(
            child=serializers.UUIDField(),
            required=False,
            help_text="Alerts as evidence (the caller must be able to read them).",
        )
        is_exercise = serializers.BooleanField(required=False)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_create",
        summary="Report an incident",
        description=(
            "`aware_at` is now if left out; `discovered_at` is proposed from the earliest "
            "linked alert (another time needs `discovered_reason`). Neither may lie after "
            "now, and every time needs its zone. The notices owed are derived at once. "
            "Audited as `incident.opened` (via `api`)."
        ),
        request=InputSerializer,
        responses={201: IncidentDetailSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = Report(**_as_values(data.validated_data))
        incident = incident_open(caller=caller_of(request), report=report, via=OpenedVia.API)
        location = reverse("api-incident", kwargs={"incident_id": incident.pk})
        return detail(incident, status=status.HTTP_201_CREATED, headers={"Location": location})


class IncidentsApi(SharedUrl, IncidentListApi, IncidentReportApi):
    """/incidents/: GET lists (IncidentListApi), POST reports (IncidentReportApi)."""


class IncidentRetrieveApi(APIView):
    """One incident's whole record; audited as `incident.viewed`."""

    permission_classes = [IncidentsRead]

    @extend_schema(
        tags=TAG,
        operation_id="incidents_retrieve",
        summary="Get an incident",
        description=(
            "Facts, the next step and what it still lacks, every notice with its clock, the "
            "timeline, the current affected set's counts and the review. An incident outside "
            "the caller's scope and a missing id give the same 404, and the attempt is "
            "audited (`access.denied`, rule `incidents.visible`). Audited as `incident.viewed`."
        ),
        responses={200: IncidentDetailSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        incident_viewed(caller=caller_of(request), incident=incident)
        return detail(incident)


class IncidentUpdateApi(APIView):
    """Change facts of an open incident; moving a clock needs a reason."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentUpdateInput")
    class InputSerializer(FactsInput):
        read_only_names = READ_ONLY | {"is_exercise", "alert_ids", "discovered_reason"}

        reason = serializers.CharField(
            max_length=NOTE_LIMIT,
            required=False,
            allow_blank=True,
            help_text="Required when discovered_at or aware_at moves; kept on the timeline.",
        )

    @extend_schema(
        tags=TAG,
        operation_id="incidents_partial_update",
        summary="Change facts of an incident",
        description=(
            "Send only the facts to change. A closed incident's facts are final. The notices "
            "owed follow the new facts. Incident handlers only. Audited as `incident.updated` "
            "with the names of the fields changed."
        ),
        request=InputSerializer(partial=True),
        responses={200: IncidentDetailSerializer, **VALIDATION_RESPONSES},
    )
    def patch(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = _as_values(data.validated_data)
        reason = changes.pop("reason", "")
        incident = incident_update(
            caller=caller_of(request), incident=incident, changes=changes, reason=reason
        )
        return detail(incident)


class IncidentApi(SharedUrl, IncidentRetrieveApi, IncidentUpdateApi):
    """/incidents/{id}/: GET reads (IncidentRetrieveApi), PATCH changes facts
    (IncidentUpdateApi)."""
