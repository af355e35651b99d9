"""The incidents API's permission classes: each is the gate's wrapper around one predicate of
incidents.permissions, which the services ask again (and the pages ask too).

Adding a note is gated by `can_view_incidents`, as on the incident page; the service then
asks `can_add_notes` itself. (Gating by `can_add_notes`, an `any_of`, would answer a caller
blocked by a platform-wide requirement with the narrower rule's refusal instead.)
"""

from __future__ import annotations

from ccplatform.gate import api
from incidents.permissions import can_handle_incidents, can_report_incidents, can_view_incidents

IncidentsRead = api(can_view_incidents)
IncidentsReport = api(can_report_incidents)
IncidentsHandle = api(can_handle_incidents)
