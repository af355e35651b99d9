"""The start page's panel for incident handlers: the notices due soonest."""

from __future__ import annotations

from typing import Any

from ccplatform.callers import Caller
from ccplatform.startpage import Panel
from incidents.permissions import can_handle_incidents
from incidents.selectors import incident_statistics, obligations_open
from incidents.views.shown import clocks

START_NOTICES = 5


def start_notices(caller: Caller) -> dict[str, Any] | None:
    if not can_handle_incidents(caller):
        return None
    return {
        "rows": clocks(obligations_open(caller)[:START_NOTICES]),
        "statistics": incident_statistics(caller),
    }


START_PANEL = Panel("incidents.notices", "incidents/_start.html", start_notices)
