"""Audit endpoints of the API (/api/v1/audit/...)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from audit.api.views import (
    ActionListApi,
    AlertAcknowledgeApi,
    AlertCloseApi,
    AlertListApi,
    AuditEventApi,
    AuditEventExportApi,
    AuditEventListApi,
    CheckpointListApi,
    VerifyChainsApi,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("actions/", ActionListApi.as_view(), name="api-audit-actions"),
    path("events/", AuditEventListApi.as_view(), name="api-audit-events"),
    path("events/export/", AuditEventExportApi.as_view(), name="api-audit-export"),
    path("events/<int:event_id>/", AuditEventApi.as_view(), name="api-audit-event"),
    path("verify/", VerifyChainsApi.as_view(), name="api-audit-verify"),
    path("checkpoints/", CheckpointListApi.as_view(), name="api-audit-checkpoints"),
    path("alerts/", AlertListApi.as_view(), name="api-audit-alerts"),
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        AlertAcknowledgeApi.as_view(),
        name="api-audit-alert-acknowledge",
    ),
    path("alerts/<uuid:alert_id>/close/", AlertCloseApi.as_view(), name="api-audit-alert-close"),
]
