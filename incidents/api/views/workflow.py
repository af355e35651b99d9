"""Moving an incident on: its next step, notes on its timeline, and the notices it owes
(the decision on each, its draft, and every notice still open across incidents)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.queries import validate_query
from audit.api.serializers import numbered_page
from audit.api.views.integrity import PAGE_NAMES, PAGE_PARAMETERS
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from customers.api.serializers import StrictInput
from incidents.api.fields import AwareDateTimeField, listed
from incidents.api.permissions import IncidentsHandle, IncidentsRead
from incidents.api.serializers import (
    IncidentDetailSerializer,
    ObligationSerializer,
    OpenObligationSerializer,
    TimelineEntrySerializer,
)
from incidents.api.views.common import TAG, detail, incident_for, obligation_of, paged
from incidents.models import Exemption, Status
from incidents.selectors import obligations_open
from incidents.services.obligations import DECISIONS, obligation_decide, obligation_draft_edit
from incidents.services.timeline import NOTE_LIMIT, incident_note_add
from incidents.services.workflow import incident_transition

DRAFT_LIMIT = 20_000  # what services.obligations keeps of a draft or a copy sent
OpenObligationPage = numbered_page(
    "IncidentOpenObligationPage", OpenObligationSerializer(many=True)
)


class IncidentTransitionApi(APIView):
    """Take the incident's next step (and only the next one)."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentTransitionInput")
    class InputSerializer(StrictInput):
        status = listed(Status, help_text="The next step; steps are taken in order.")
        note = serializers.CharField(max_length=NOTE_LIMIT, required=False, allow_blank=True)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_transition",
        summary="Take the next step of an incident",
        description=(
            "reported → triage → contained → notified → recovered → closed. Another step is a "
            "400 naming `status`. A step that lacks something is a 400 naming each missing "
            "piece (the detail's `next_step.missing` lists them beforehand): `notified` needs "
            "every notice decided, the data categories, an affected set, the DPO contact "
            "(`dpo_contact`), the consequences and the measures; `closed` needs the review. "
            "Incident handlers only. Audited as `incident.status_changed`."
        ),
        request=InputSerializer,
        responses={200: IncidentDetailSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = incident_transition(
            caller=caller_of(request), incident=incident, **data.validated_data
        )
        return detail(incident)


class IncidentNoteApi(APIView):
    """Add a note to the timeline: what someone saw, decided or was told."""

    permission_classes = [IncidentsRead]

    @extend_schema_serializer(component_name="IncidentNoteInput")
    class InputSerializer(StrictInput):
        text = serializers.CharField(max_length=NOTE_LIMIT)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_notes_create",
        summary="Add a note to an incident",
        description=(
            "Anyone who may see the incident (its reporter included). Card numbers are "
            "masked to the last 4 digits before the note is saved; a closed incident's "
            "timeline is final. Audited as `incident.note_added` (without the text)."
        ),
        request=InputSerializer,
        responses={201: TimelineEntrySerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = incident_note_add(
            caller=caller_of(request), incident=incident, text=data.validated_data["text"]
        )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class ObligationDecisionApi(APIView):
    """Decide one notice: filed (on time, or late with the reasons), or not required."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentObligationDecisionInput")
    class InputSerializer(StrictInput):
        decision = serializers.ChoiceField([str(choice) for choice in DECISIONS])
        filed_at = AwareDateTimeField(required=False, help_text="filed: when it was sent.")
        reference = serializers.CharField(
            max_length=120, required=False, allow_blank=True, help_text="filed: case number."
        )
        sent_copy = serializers.CharField(
            max_length=DRAFT_LIMIT,
            required=False,
            allow_blank=True,
            help_text="filed: the text sent; the draft if left out.",
        )
        reason = serializers.CharField(
            max_length=NOTE_LIMIT,
            required=False,
            allow_blank=True,
            help_text="not_required: why. filed after the deadline: the reasons for the delay.",
        )
        approver_id = serializers.UUIDField(
            required=False,
            allow_null=True,
            help_text="not_required: another incident handler who approved it.",
        )
        exemption = serializers.ChoiceField(Exemption.choices, required=False, allow_blank=True)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_obligations_decide",
        summary="Decide a notice",
        description=(
            "filed needs `filed_at` (not in the future) and `reference`; after the deadline "
            "also `reason` (it is then recorded as filed late). not_required needs `reason` "
            "and an approver (errors name `approver`); `exemption: encrypted` is only open for "
            "notices to people when no affected customer's data was seen in plain text. A "
            "decision is final. Incident handlers only. Audited as "
            "`incident.obligation_decided`."
        ),
        request=InputSerializer,
        responses={200: ObligationSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID, obligation_id: int) -> Response:
        obligation = obligation_of(request, incident_for(request, incident_id), obligation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = obligation_decide(
            caller=caller_of(request), obligation=obligation, **data.validated_data
        )
        return Response(ObligationSerializer(decided).data)


class ObligationDraftApi(APIView):
    """Replace the generated draft of a notice with an edited one."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentObligationDraftInput")
    class InputSerializer(StrictInput):
        text = serializers.CharField(max_length=DRAFT_LIMIT)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_obligations_draft_update",
        summary="Edit the draft of a notice",
        description=(
            "An edited draft is no longer regenerated when the facts change. Only a notice "
            "still pending. Incident handlers only. Audited as `incident.draft_edited`."
        ),
        request=InputSerializer,
        responses={200: ObligationSerializer, **VALIDATION_RESPONSES},
    )
    def put(self, request: Request, incident_id: uuid.UUID, obligation_id: int) -> Response:
        obligation = obligation_of(request, incident_for(request, incident_id), obligation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edited = obligation_draft_edit(
            caller=caller_of(request), obligation=obligation, text=data.validated_data["text"]
        )
        return Response(ObligationSerializer(edited).data)


class OpenObligationsApi(APIView):
    """Every notice still owed, across the incidents the caller handles, soonest first."""

    permission_classes = [IncidentsHandle]

    @extend_schema(
        tags=TAG,
        operation_id="incidents_obligations_open_list",
        summary="List the notices still owed",
        description=(
            "Pending notices of incidents not closed, soonest deadline first; exercises are "
            "included and flagged (`exercise`). Incident handlers only."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: OpenObligationPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        validate_query(request, also_known=PAGE_NAMES)
        rows = obligations_open(caller_of(request))
        return paged(request, self, rows, OpenObligationSerializer)
