"""The API's permission classes: each is the gate's wrapper around one audit predicate
(audit.permissions), which also records a refusal (`access.denied`)."""

from __future__ import annotations

from audit.permissions import (
    can_export_events,
    can_handle_alerts,
    can_read_alerts,
    can_read_events,
    can_verify,
)
from ccplatform.gate import api

CanReadEvents = api(can_read_events)
CanExportEvents = api(can_export_events)
CanVerifyChains = api(can_verify)
CanReadAlerts = api(can_read_alerts)
CanHandleAlerts = api(can_handle_alerts)
