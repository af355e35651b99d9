"""The incident register, reporting an incident (from alerts or not), and the notices due
across incidents, soonest first."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import all_teams, teams_for
from audit.selectors import alerts_active
from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError
from incidents.forms import ReportForm, put_errors
from incidents.models import OpenedVia, Status
from incidents.permissions import can_handle_incidents, can_report_incidents, can_view_incidents
from incidents.selectors import incident_statistics, incidents_visible_to, obligations_open
from incidents.services.register import Report, incident_open
from incidents.views.shown import clocks, utc

REGISTER_LIMIT = 200
REPORTED = frozenset(Report.__dataclass_fields__)


@gate.page(can_view_incidents)
@require_GET
def incident_register(request: HttpRequest) -> HttpResponse:
    caller = caller_of(request)
    status = request.GET.get("status", "open")
    incidents = incidents_visible_to(caller)
    if status == "open":
        incidents = incidents.exclude(status=Status.CLOSED)
    elif status in Status.values:
        incidents = incidents.filter(status=status)
    exercises = request.GET.get("exercises", "include")
    if exercises == "only":
        incidents = incidents.filter(is_exercise=True)
    elif exercises == "exclude":
        incidents = incidents.filter(is_exercise=False)
    rows = [
        (incident, utc(incident.reported_at), utc(incident.aware_at))
        for incident in incidents.prefetch_related("obligations")[:REGISTER_LIMIT]
    ]
    context = {
        "rows": rows,
        "status": status,
        "statuses": ["open", *Status.values, "all"],
        "exercises": exercises,
        "statistics": incident_statistics(caller),
        "limit": REGISTER_LIMIT,
    }
    return render(request, "incidents/register.html", context)


def _report_form(request: HttpRequest, data: object = None) -> ReportForm:
    caller = caller_of(request)
    teams = all_teams() if can_handle_incidents(caller) else teams_for(caller)
    alerts = [
        (
            str(alert.pk),
            f"{alert.get_rule_display()} — {alert.summary} (first seen {utc(alert.first_seen)})",
        )
        for alert in alerts_active(caller)
    ]
    initial = {
        "alert_ids": request.GET.getlist("alert"),
        "team_ids": [str(t) for t in caller.team_ids],
    }
    return ReportForm(
        data,
        teams=[(str(team.pk), team.name) for team in teams],
        alerts=alerts,
        initial=initial,
    )


@gate.page(can_report_incidents)
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "incidents/new.html", {"form": _report_form(request)})
    form = _report_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        report = Report(
            **{name: data[name] for name in data if name in Report.__dataclass_fields__}
        )
        via = OpenedVia.ALERT if data["alert_ids"] else OpenedVia.PAGE
        try:
            incident = incident_open(caller=caller_of(request), report=report, via=via)
        except ServiceError as error:
            put_errors(form, error.fields, error.message)
        else:
            messages.success(request, f"{incident.reference} reported.")
            return redirect("incidents:incident", incident_id=incident.pk)
    return render(request, "incidents/new.html", {"form": form}, status=400)


@gate.page(can_handle_incidents)
@require_GET
def notices_due(request: HttpRequest) -> HttpResponse:
    """Every notice still owed, across incidents, by time left."""
    rows = clocks(obligations_open(caller_of(request)))
    return render(request, "incidents/notices.html", {"rows": rows})
