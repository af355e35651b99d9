"""Searching, reading and exporting the audit log. Every read is itself audited.

Nothing here changes an event: these views answer GET only, so PUT, PATCH, DELETE and
POST get a 405; the database refuses UPDATE and DELETE on the table anyway (triggers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from audit.api.permissions import CanExportEvents, CanReadEvents
from audit.api.queries import FILTER_PARAMETERS, validate_query
from audit.api.serializers import AuditEventSerializer, EventPage
from audit.exporting import FORMATS, streaming_export
from audit.models import AuditEvent
from audit.search import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    CursorError,
    EventFilter,
    EventFilterForm,
    decode_cursor,
    filtered_events,
    iterate,
    page_of,
)
from audit.services.reads import audit_event_viewed, audit_exported, audit_searched
from ccplatform.api.schema import ERROR_RESPONSES, VALIDATION_RESPONSES
from ccplatform.callers import caller_of

TAG = ["audit"]
EXPORTED = "CSV (a header line, then one row per event) or JSON Lines (one object per event)."


class _PageOptions(serializers.Serializer[dict[str, Any]]):
    cursor = serializers.CharField(required=False, max_length=200)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)

    def validate_cursor(self, value: str) -> str:
        try:
            decode_cursor(value)
        except CursorError as error:
            raise serializers.ValidationError(str(error)) from None
        return value


class _ExportOptions(serializers.Serializer[dict[str, Any]]):
    format = serializers.ChoiceField(list(FORMATS))


class _JsonErrorsOnly(DefaultContentNegotiation):
    """The export's `format` names the file format, not a DRF renderer, and its body is
    streamed as that format whatever `Accept` says; only errors are rendered, as JSON."""

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class AuditEventListApi(APIView):
    """Events matching the filters, newest first, one keyset page at a time."""

    permission_classes = [CanReadEvents]

    @extend_schema(
        tags=TAG,
        operation_id="audit_events_list",
        summary="Search the audit log",
        description=(
            "Filters combine with AND; an unknown parameter or a malformed value is a 400 "
            "naming it. Newest first; follow `next` for older events (keyset pagination: "
            "stable while new events arrive, as fast on the last page as on the first). "
            "Each call is audited as `audit.searched` with the filters."
        ),
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter(
                "cursor", OpenApiTypes.STR, description="From the previous page's `next`."
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"Events per page: {PAGE_SIZE} by default, {MAX_PAGE_SIZE} at most.",
            ),
        ],
        responses={200: EventPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        form = EventFilterForm(request.query_params)
        options = _PageOptions(data=request.query_params)
        validate_query(request, form=form, options=options)
        event_filter = EventFilter.from_form(form)
        page = page_of(
            filtered_events(event_filter),
            cursor=options.validated_data.get("cursor"),
            size=options.validated_data["limit"],
        )
        audit_searched(
            caller=caller_of(request),
            view="api",
            event_filter=event_filter,
            page_size=options.validated_data["limit"],
            shown=len(page.events),
            continued="cursor" in options.validated_data,
        )
        next_url = (
            replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
            if page.next_cursor
            else None
        )
        return Response(
            {"results": AuditEventSerializer(page.events, many=True).data, "next": next_url}
        )


class AuditEventApi(APIView):
    """One event, by id."""

    permission_classes = [CanReadEvents]

    @extend_schema(
        tags=TAG,
        operation_id="audit_events_retrieve",
        summary="Get one audit event",
        description="Audited as `audit.event_viewed`.",
        responses={200: AuditEventSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request, event_id: int) -> Response:
        event = get_object_or_404(AuditEvent, pk=event_id)
        audit_event_viewed(caller=caller_of(request), event=event)
        return Response(AuditEventSerializer(event).data)


class AuditEventExportApi(APIView):
    """Every event matching the filters, as CSV or JSON Lines, streamed."""

    permission_classes = [CanExportEvents]
    content_negotiation_class = _JsonErrorsOnly

    @extend_schema(
        tags=TAG,
        operation_id="audit_events_export",
        summary="Export audit events (CSV or JSON Lines)",
        description=(
            "The same filters as the search; newest first; streamed row by row with constant "
            "memory, so a range of millions of events works. CSV cells that a spreadsheet "
            "would run as a formula start with a quote. An empty range gives the CSV header "
            "line, or an empty JSON Lines body. Audited as `audit.exported` before it starts."
        ),
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=list(FORMATS),
                required=True,
                description="File format.",
            ),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORTED),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description=EXPORTED),
            **VALIDATION_RESPONSES,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        form = EventFilterForm(request.query_params)
        options = _ExportOptions(data=request.query_params)
        validate_query(request, form=form, options=options, also_known=())
        event_filter = EventFilter.from_form(form)
        fmt = options.validated_data["format"]
        audit_exported(caller=caller_of(request), event_filter=event_filter, fmt=fmt)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        return streaming_export(
            iterate(filtered_events(event_filter)), fmt=fmt, filename=f"audit-events-{stamp}"
        )
