"""Responding to an incident: the customers it affected (computed from the audit log in a
worker), containment, and the post-incident review. Incident handlers only.

Affected customers are ids with their exposure, data categories and region of residence;
no personal value leaves the customers app through these endpoints.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.queries import validate_query
from audit.api.serializers import numbered_page
from audit.api.views.integrity import PAGE_NAMES, PAGE_PARAMETERS
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from ccplatform.crypto.rotation import Kind as Ring
from customers.api.serializers import FlatListField, StrictInput
from customers.api.views.common import SharedUrl
from incidents.api.fields import AwareDateTimeField, RowsField
from incidents.api.permissions import IncidentsHandle
from incidents.api.serializers import (
    AffectedCustomerSerializer,
    AffectedSetSerializer,
    ContainmentResultSerializer,
    ReviewSerializer,
)
from incidents.api.views.common import TAG, affected_set_of, incident_for, paged
from incidents.services.affected import Compromised
from incidents.services.containment import (
    contain,
)
from incidents.services.review import FollowUpAction, review_write
from incidents.services.timeline import NOTE_LIMIT, incident_viewed
from incidents.tasks import affected_request

Requested = inline_serializer("IncidentAffectedRequested", {"task_id": serializers.CharField()})
AffectedSets = inline_serializer(
    "IncidentAffectedSets", {"results": AffectedSetSerializer(many=True)}
)
AffectedCustomerPage = numbered_page(
    "IncidentAffectedCustomerPage", AffectedCustomerSerializer(many=True)
)

# --- Affected customers ---------------------------------------------------------------------


class AffectedRequestApi(APIView):
    """Have a worker compute the customers affected by what was compromised."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentAffectedInput")
    class InputSerializer(StrictInput):
        user_id = serializers.UUIDField(required=False, help_text="A compromised account.")
        api_key_prefix = serializers.CharField(
            max_length=100, required=False, allow_blank=True, help_text="A compromised API key."
        )
        session_id = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            help_text="A live session's public id; its start and address bound the query.",
        )
        network = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            help_text="An address or range, e.g. 203.0.113.0/24.",
        )
        since = AwareDateTimeField(required=False)
        until = AwareDateTimeField(required=False)

    @extend_schema(
        tags=TAG,
        operation_id="incidents_affected_request",
        summary="Compute the affected customers",
        description=(
            "Name one actor (`user_id`, `api_key_prefix` or `session_id`), an address range, a "
            "time window, or a combination. The query is checked now (a 400 names what does "
            "not exist); a worker then reads the audit log, freezes a new affected set and "
            "derives the notices again. Follow the sets list (Location). Audited as "
            "`incident.affected_computed` when done, naming who asked."
        ),
        request=InputSerializer,
        responses={202: Requested, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "user_id" in values:
            values["user_id"] = str(values["user_id"])
        task_id = affected_request(
            caller=caller_of(request), incident=incident, compromised=Compromised(**values)
        )
        location = reverse("api-incident-affected", kwargs={"incident_id": incident.pk})
        return Response(
            {"task_id": task_id}, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


class AffectedSetListApi(APIView):
    """Every affected set of the incident, newest (the current one) first."""

    permission_classes = [IncidentsHandle]

    @extend_schema(
        tags=TAG,
        operation_id="incidents_affected_list",
        summary="List the affected sets of an incident",
        description=(
            "Each set with its audit query and counts; computing again adds a set and keeps "
            "the earlier ones. Audited as `incident.viewed`."
        ),
        responses={200: AffectedSets, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request, incident_id: uuid.UUID) -> Response:
        validate_query(request)
        incident = incident_for(request, incident_id)
        incident_viewed(caller=caller_of(request), incident=incident)
        sets = incident.affected_sets.order_by("-computed_at", "-id")
        return Response({"results": AffectedSetSerializer(sets, many=True).data})


class AffectedSetsApi(SharedUrl, AffectedSetListApi, AffectedRequestApi):
    """/incidents/{id}/affected/: GET lists the sets, POST computes a new one."""


class AffectedCustomersApi(APIView):
    """The customers of one affected set: ids, exposure, categories, region."""

    permission_classes = [IncidentsHandle]

    @extend_schema(
        tags=TAG,
        operation_id="incidents_affected_customers_list",
        summary="List the customers of an affected set",
        description=(
            "Customer ids only, never a personal value. A set of another incident is a 404. "
            "Audited as `incident.viewed`."
        ),
        parameters=PAGE_PARAMETERS,
        responses={200: AffectedCustomerPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request, incident_id: uuid.UUID, set_id: int) -> Response:
        validate_query(request, also_known=PAGE_NAMES)
        incident = incident_for(request, incident_id)
        affected = affected_set_of(request, incident, set_id)
        incident_viewed(caller=caller_of(request), incident=incident)
        rows = affected.customers.order_by("id")
        return paged(request, self, rows, AffectedCustomerSerializer)


# --- Containment ----------------------------------------------------------------------------

# The fields each action reads besides `reason`; any other is refused, never ignored.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "disable_users": frozenset({"user_ids"}),
    "revoke_keys": frozenset({"prefixes"}),
    "end_team_sessions": frozenset({"team_id"}),
    "seal_customers": frozenset({"plaintext_only"}),
    "release_customers": frozenset({"plaintext_only"}),
    "rotate_keys": frozenset({"ring"}),
}


class IncidentContainmentApi(APIView):
    """Take one containment action from the incident."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentContainmentInput")
    class InputSerializer(StrictInput):
        action = serializers.ChoiceField(list(ACTION_FIELDS))
        reason = serializers.CharField(max_length=400)
        user_ids = FlatListField(
            child=serializers.UUIDField(), required=False, help_text="disable_users."
        )
        prefixes = FlatListField(
            child=serializers.CharField(max_length=100),
            required=False,
            help_text="revoke_keys: the keys' public prefixes.",
        )
        team_id = serializers.UUIDField(required=False, help_text="end_team_sessions.")
        plaintext_only = serializers.BooleanField(
            required=False,
            help_text="seal_customers, release_customers: only those seen in plain text.",
        )
        ring = serializers.ChoiceField(
            [str(ring) for ring in Ring], required=False, help_text="rotate_keys."
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            used = ACTION_FIELDS[attrs["action"]] | {"action", "reason"}
            unused = sorted(set(attrs) - used)
            if unused:
                message = f"Not used by {attrs['action']}."
                raise serializers.ValidationError({name: [message] for name in unused})
            return attrs

    @extend_schema(
        tags=TAG,
        operation_id="incidents_containment",
        summary="Take a containment action",
        description=(
            "disable_users (`user_ids`), revoke_keys (`prefixes`), end_team_sessions "
            "(`team_id`), seal_customers or release_customers (the current affected set; "
            "`plaintext_only`), rotate_keys (`ring`: the rotation jobs start in the worker). "
            "Each is done by the service that owns the change, as the system for this "
            "incident, and audited there; the incident records `incident.containment_taken` "
            "naming the person. A field the action does not read is a 400."
        ),
        request=InputSerializer,
        responses={200: ContainmentResultSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        done = contain(
            caller=caller_of(request), incident=incident, action=fields["action"], fields=fields
        )
        result = {"action": fields["action"], "count": done.count, "jobs": list(done.jobs)}
        return Response(ContainmentResultSerializer(result).data)


# --- Review ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="IncidentFollowUpInput")
class FollowUpInput(StrictInput):
    action = serializers.CharField(max_length=300)
    owner_id = serializers.UUIDField(help_text="An active account.")
    due_on = serializers.DateField(help_text="Today or later.")


class IncidentReviewApi(APIView):
    """Write the post-incident review (once the incident is recovered, before it closes)."""

    permission_classes = [IncidentsHandle]

    @extend_schema_serializer(component_name="IncidentReviewInput")
    class InputSerializer(StrictInput):
        cause = serializers.CharField(max_length=NOTE_LIMIT)
        measures = serializers.CharField(max_length=NOTE_LIMIT)
        lessons = serializers.CharField(max_length=NOTE_LIMIT)
        follow_ups = RowsField(child=FollowUpInput(), help_text="At least one.")

    @extend_schema(
        tags=TAG,
        operation_id="incidents_review_create",
        summary="Write the post-incident review",
        description=(
            "Needs the incident recovered, the affected customers computed again after "
            "containment (the re-run the review compares with) and at least one follow-up "
            "action; a problem with one follow-up is named `follow_ups.<index>`. Written once. "
            "Audited as `incident.reviewed`."
        ),
        request=InputSerializer,
        responses={201: ReviewSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, incident_id: uuid.UUID) -> Response:
        incident = incident_for(request, incident_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        follow_ups = [
            FollowUpAction(item["action"], str(item["owner_id"]), item["due_on"])
            for item in values.pop("follow_ups")
        ]
        review = review_write(
            caller=caller_of(request), incident=incident, follow_ups=follow_ups, **values
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
