"""A customer's notes and interactions: read (audited) and add (scanned for card data)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform import gate
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of
from customers.api.permissions import (
    CustomerHistoryRead,
    CustomerInteractionsAdd,
    CustomerNotesAdd,
)
from customers.api.serializers import (
    INTEGRITY_RESPONSE,
    InteractionSerializer,
    NoteSerializer,
    StrictInput,
)
from customers.api.views.common import SharedUrl, integrity_checked
from customers.models import Customer, InteractionChannel, InteractionOutcome
from customers.permissions import can_reveal_record
from customers.selectors import (
    customer_get_for,
    customer_history,
    interaction_shown,
    note_shown,
)
from customers.services.access_log import customer_history_viewed
from customers.services.notes import MAX_TEXT, customer_interaction_add, customer_note_add

TAG = ["customer history"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    int,
    description=f"How many, newest first: {DEFAULT_LIMIT} by default, {MAX_LIMIT} at most.",
)
Notes = inline_serializer("CustomerNotes", {"results": NoteSerializer(many=True)})
Interactions = inline_serializer(
    "CustomerInteractions", {"results": InteractionSerializer(many=True)}
)


class _Limit(serializers.Serializer[dict[str, Any]]):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


def _history(request: Request, customer: Customer, part: str) -> list[dict[str, Any]]:
    """The newest notes or interactions as shown, and an audit event saying which."""
    query = _Limit(data=request.query_params)
    query.is_valid(raise_exception=True)
    caller = caller_of(request)
    gate.require(caller, can_reveal_record(caller, customer), resource=customer)  # sealed
    with integrity_checked(request, customer, f"{part}_list"):
        items = customer_history(caller, customer, limit=query.validated_data["limit"])[part]
    customer_history_viewed(
        caller=caller, customer=customer, part=part, ids=[str(item["id"]) for item in items]
    )
    return items


class CustomerNoteListApi(APIView):
    """The customer's newest notes (card numbers already masked); audited."""

    permission_classes = [CustomerHistoryRead]

    @extend_schema(
        tags=TAG,
        operation_id="customers_notes_list",
        summary="List a customer's notes",
        description="Audited as `customer.notes_viewed` with the note ids.",
        parameters=[LIMIT_PARAMETER],
        responses={200: Notes, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def get(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        notes = _history(request, customer, "notes")
        return Response({"results": NoteSerializer(notes, many=True).data})


class CustomerNoteAddApi(APIView):
    """Add a note: card numbers are masked to the last 4 (CVV/expiry next to one removed)."""

    permission_classes = [CustomerNotesAdd]

    @extend_schema_serializer(component_name="CustomerNoteInput")
    class InputSerializer(StrictInput):
        body = serializers.CharField(max_length=MAX_TEXT)

    @extend_schema(
        tags=TAG,
        operation_id="customers_notes_create",
        summary="Add a note to a customer",
        description=(
            "A card number in the text is masked to its last 4 digits before saving and "
            "recorded as a security event (`customer.card_data_redacted`); the response shows "
            "the text as stored. Audited as `customer.note_added`."
        ),
        request=InputSerializer,
        responses={201: NoteSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def post(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with integrity_checked(request, customer, "note_add"):
            note = customer_note_add(
                caller=caller_of(request), customer=customer, body=data.validated_data["body"]
            )
            payload = note_shown(customer, note)
        return Response(NoteSerializer(payload).data, status=status.HTTP_201_CREATED)


class CustomerNotesApi(SharedUrl, CustomerNoteListApi, CustomerNoteAddApi):
    """/customers/{id}/notes/: GET lists (CustomerNoteListApi), POST adds (CustomerNoteAddApi)."""


class CustomerInteractionListApi(APIView):
    """The customer's newest interactions; audited."""

    permission_classes = [CustomerHistoryRead]

    @extend_schema(
        tags=TAG,
        operation_id="customers_interactions_list",
        summary="List a customer's interactions",
        description="Audited as `customer.interactions_viewed` with the interaction ids.",
        parameters=[LIMIT_PARAMETER],
        responses={200: Interactions, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def get(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        items = _history(request, customer, "interactions")
        return Response({"results": InteractionSerializer(items, many=True).data})


class CustomerInteractionAddApi(APIView):
    """Log a call, chat or email with its outcome; the summary is scanned like a note."""

    permission_classes = [CustomerInteractionsAdd]

    @extend_schema_serializer(component_name="CustomerInteractionInput")
    class InputSerializer(StrictInput):
        channel = serializers.ChoiceField(InteractionChannel.choices)
        outcome = serializers.ChoiceField(InteractionOutcome.choices)
        summary = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
        occurred_at = serializers.DateTimeField(
            required=False, help_text="With a time zone; now if left out. Not in the future."
        )

    @extend_schema(
        tags=TAG,
        operation_id="customers_interactions_create",
        summary="Log an interaction with a customer",
        description=(
            "Card numbers in the summary are masked like in notes. Audited as "
            "`customer.interaction_added` with the channel and outcome."
        ),
        request=InputSerializer,
        responses={201: InteractionSerializer, **VALIDATION_RESPONSES, **INTEGRITY_RESPONSE},
    )
    def post(self, request: Request, customer_id: uuid.UUID) -> Response:
        customer = customer_get_for(caller_of(request), customer_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with integrity_checked(request, customer, "interaction_add"):
            interaction = customer_interaction_add(
                caller=caller_of(request), customer=customer, **data.validated_data
            )
            payload = interaction_shown(customer, interaction)
        return Response(InteractionSerializer(payload).data, status=status.HTTP_201_CREATED)


class CustomerInteractionsApi(SharedUrl, CustomerInteractionListApi, CustomerInteractionAddApi):
    """/customers/{id}/interactions/: GET lists, POST logs one (one view each)."""
