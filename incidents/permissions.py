"""Who may do what with incidents: `can_*` predicates over the Caller.

Anyone who works with customers may report a suspected incident and follow what they
reported (or, for supervisors, what affects their teams); compliance officers run the
workflow for every incident: triage, clocks and notices, affected customers, containment,
the review. A SIEM or SOAR with an `incidents:write` key may report incidents and read the
ones it reported. Which incidents a caller sees is incidents.selectors' scope.
"""

from __future__ import annotations

from ccplatform.callers import Caller
from ccplatform.permissions import Decision, any_of, check, rule
from ccplatform.scopes import Scope

HANDLE_PERMISSION = "incidents.handle_incident"


@rule("incidents.report")
def can_report_incidents(caller: Caller) -> Decision:
    return check(caller, person="incidents.add_incident", key=Scope.INCIDENTS_WRITE)


@rule("incidents.view")
def can_view_incidents(caller: Caller) -> Decision:
    return check(caller, person="incidents.view_incident", key=Scope.INCIDENTS_WRITE)


@rule("incidents.handle")
def can_handle_incidents(caller: Caller) -> Decision:
    """Run the workflow: facts, status, notices, affected customers, containment, review.
    The system's reminders also act on incidents."""
    return check(caller, person=HANDLE_PERMISSION, system=True)


@rule("incidents.add_note")
def can_add_notes(caller: Caller) -> Decision:
    """Add to the timeline of an incident one can see (a reporter tells what they learnt)."""
    return any_of(can_view_incidents(caller), can_handle_incidents(caller))


@rule("incidents.manage_clients")
def can_manage_clients(caller: Caller) -> Decision:
    """Record the clients we process data for and the clocks their contracts set."""
    return check(caller, person=HANDLE_PERMISSION, system=True)


@rule("incidents.decide")
def can_decide_incidents(caller: Caller) -> Decision:
    """Decisions someone answers for (a notice filed or not required, the review): people
    who handle incidents, never the system."""
    return check(caller, person=HANDLE_PERMISSION)


@rule("incidents.compute_affected")
def can_compute_affected(caller: Caller) -> Decision:
    """Read the audit log and decrypt addresses into an affected set: the system, in a job
    a handler asked for (incidents.tasks.affected_request)."""
    return check(caller, system=True)
