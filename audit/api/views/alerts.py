"""Alerts raised by the monitoring rules and by verification: list, acknowledge, close.

Acting on an alert is for people holding audit.change_alert; API keys may only read.
There is no other way to change an alert here (no PUT, PATCH or DELETE).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.permissions import CanHandleAlerts, CanReadAlerts
from audit.api.queries import validate_query
from audit.api.serializers import AlertPage, AlertSerializer
from audit.api.views.integrity import PAGE_NAMES, PAGE_PARAMETERS
from audit.models import Alert, AlertRule, AlertStatus, Severity
from audit.services.alerts import CLOSE_NOTE_MAX, alert_acknowledge, alert_close
from audit.services.reads import alerts_listed
from ccplatform.api.pagination import StandardPagination
from ccplatform.api.schema import VALIDATION_RESPONSES
from ccplatform.callers import caller_of

TAG = ["audit alerts"]


class _AlertFilters(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(AlertStatus.choices, required=False)
    rule = serializers.ChoiceField(AlertRule.choices, required=False)
    severity = serializers.ChoiceField(Severity.choices, required=False)


def _choices(name: str, choices: list[tuple[str, str]]) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, enum=[value for value, _ in choices])


class AlertListApi(APIView):
    """Alerts, newest first, optionally by status, rule and severity."""

    permission_classes = [CanReadAlerts]

    @extend_schema(
        tags=TAG,
        operation_id="audit_alerts_list",
        summary="List alerts",
        description="Newest first. Audited as `alert.listed` with the filters.",
        parameters=[
            _choices("status", AlertStatus.choices),
            _choices("rule", AlertRule.choices),
            _choices("severity", Severity.choices),
            *PAGE_PARAMETERS,
        ],
        responses={200: AlertPage, **VALIDATION_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        filters = _AlertFilters(data=request.query_params)
        validate_query(request, options=filters, also_known=PAGE_NAMES)
        chosen = {name: value for name, value in filters.validated_data.items() if value}
        paginator = StandardPagination()
        alerts = Alert.objects.filter(**chosen).order_by("-raised_at", "-id")
        page = paginator.paginate_queryset(alerts, request, view=self) or []
        alerts_listed(caller=caller_of(request), alert_filter=chosen, shown=len(page))
        return paginator.get_paginated_response(AlertSerializer(page, many=True).data)


class AlertAcknowledgeApi(APIView):
    """Say that someone is looking at an open alert."""

    permission_classes = [CanHandleAlerts]

    @extend_schema(
        tags=TAG,
        operation_id="audit_alerts_acknowledge",
        summary="Acknowledge an alert",
        description=(
            "Only an open alert can be acknowledged (otherwise 400 `rule_violated`). People "
            "with audit.change_alert only; API keys get 403. Audited as `alert.acknowledged`."
        ),
        request=None,
        responses={200: AlertSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, alert_id: uuid.UUID) -> Response:
        alert = alert_acknowledge(get_object_or_404(Alert, pk=alert_id), caller=caller_of(request))
        return Response(AlertSerializer(alert).data)


class AlertCloseApi(APIView):
    """Close an alert with a note saying what was found or done."""

    permission_classes = [CanHandleAlerts]

    @extend_schema_serializer(component_name="AuditAlertCloseInput")
    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        note = serializers.CharField(max_length=CLOSE_NOTE_MAX)

        def to_internal_value(self, data: Any) -> dict[str, Any]:
            if isinstance(data, dict):
                unknown = sorted(set(data) - set(self.fields), key=str)
                if unknown:
                    raise serializers.ValidationError(
                        {str(name): ["Unknown field."] for name in unknown}
                    )
            validated: dict[str, Any] = super().to_internal_value(data)
            return validated

    @extend_schema(
        tags=TAG,
        operation_id="audit_alerts_close",
        summary="Close an alert",
        description=(
            "An open or acknowledged alert; the note is required. People with "
            "audit.change_alert only; API keys get 403. Audited as `alert.closed` (with the "
            "note's length, not its text)."
        ),
        request=InputSerializer,
        responses={200: AlertSerializer, **VALIDATION_RESPONSES},
    )
    def post(self, request: Request, alert_id: uuid.UUID) -> Response:
        alert = get_object_or_404(Alert, pk=alert_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_close(alert, caller=caller_of(request), note=data.validated_data["note"])
        return Response(AlertSerializer(alert).data)
