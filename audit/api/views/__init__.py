"""Audit API views: one class per operation (events, integrity, alerts)."""

from __future__ import annotations

from audit.api.views.actions import ActionListApi
from audit.api.views.alerts import AlertAcknowledgeApi, AlertCloseApi, AlertListApi
from audit.api.views.events import AuditEventApi, AuditEventExportApi, AuditEventListApi
from audit.api.views.integrity import CheckpointListApi, VerifyChainsApi

__all__ = [
    "ActionListApi",
    "AlertAcknowledgeApi",
    "AlertCloseApi",
    "AlertListApi",
    "AuditEventApi",
    "AuditEventExportApi",
    "AuditEventListApi",
    "CheckpointListApi",
    "VerifyChainsApi",
]
