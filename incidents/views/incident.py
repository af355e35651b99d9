"""The incident page: facts, the next step and what it lacks, the clocks of every notice,
the affected customers, containment, the review and the timeline; and its forms' POSTs.

Each POST hands one form to one service and answers with a redirect back to the page
(POST-redirect-GET); a refusal shows the page again with that form's errors, status 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import all_accounts, all_teams
from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError
from incidents.forms import (
    AffectedForm,
    ClocksForm,
    ContainmentForm,
    DecisionForm,
    DraftForm,
    FollowUpForm,
    IncidentFactsForm,
    NoteForm,
    ReviewForm,
    TransitionForm,
    put_errors,
)
from incidents.models import DataCategory, Incident, Obligation, Status
from incidents.permissions import can_handle_incidents, can_view_incidents
from incidents.selectors import incident_current_set, incident_get_for
from incidents.services.timeline import incident_note_add, incident_viewed
from incidents.services.workflow import incident_transition, missing_for, next_status
from incidents.views.shown import clocks, counts_table, entries, handlers, utc

FACTS = ("title", "nature", "kind", "severity", "risk", "data_categories", "systems",
         "description", "consequences", "measures")  # fmt: skip


def team_choices() -> list[tuple[str, str]]:
    return [(str(team.pk), team.name) for team in all_teams()]


def account_choices() -> list[tuple[str, str]]:
    return [
        (
            str(account.pk),
            account.username if account.is_active else f"{account.username} (disabled)",
        )
        for account in all_accounts()
    ]


def page_forms(incident: Incident) -> dict[str, Any]:
    """Every form of the page, unbound, filled with the incident's current facts."""
    facts = {name: getattr(incident, name) for name in FACTS}
    facts["team_ids"] = [str(pk) for pk in incident.affected_teams.values_list("pk", flat=True)]
    following = next_status(incident)
    owners = handlers()
    accounts = account_choices()
    return {
        "note_form": NoteForm(),
        "transition_form": TransitionForm(initial={"status": following}),
        "facts_form": IncidentFactsForm(initial=facts, teams=team_choices()),
        "clocks_form": ClocksForm(
            initial={"discovered_at": incident.discovered_at, "aware_at": incident.aware_at}
        ),
        "affected_form": AffectedForm(people=accounts, initial={"since": incident.discovered_at}),
        "containment_form": ContainmentForm(people=accounts, teams=team_choices()),
        "review_form": ReviewForm(),
        "follow_up_forms": [
            FollowUpForm(prefix=f"follow-{index}", people=owners)
            for index in range(ReviewForm.FOLLOW_UPS)
        ],
        "decision_forms": {},
        "draft_forms": {},
        "approvers": owners,
    }


def render_incident(
    request: HttpRequest, incident: Incident, *, status: int = 200, **bound: Any
) -> HttpResponse:
    caller = caller_of(request)
    if status == 200:
        incident_viewed(caller=caller, incident=incident)
    context = page_forms(incident) | bound
    following = next_status(incident)
    affected = incident_current_set(incident)
    obligation_clocks = clocks(incident.obligations.all())
    decisions, drafts = context["decision_forms"], context["draft_forms"]
    notice_forms = [
        (
            row,
            decisions.get(row.obligation.pk) or decision_form(row.obligation.pk),
            drafts.get(row.obligation.pk) or draft_form(row.obligation),
        )
        for row in obligation_clocks
        if row.obligation.open
    ]
    labels = dict(DataCategory.choices)
    context |= {
        "notice_forms": notice_forms,
        "steps": Status.choices,
        "category_labels": [labels.get(name, name) for name in incident.data_categories],
        "incident": incident,
        "handler": bool(can_handle_incidents(caller)),
        "next_status": following,
        "missing": missing_for(incident, following) if following else {},
        "clocks": [row for row in obligation_clocks if row.obligation.applies],
        "void_clocks": [row for row in obligation_clocks if not row.obligation.applies],
        "timeline": entries(list(incident.timeline.all())),
        "affected": affected,
        "ciphertext_only": affected.total - affected.plaintext if affected else 0,
        "affected_sets": list(incident.affected_sets.all()[:10]),
        "categories": counts_table(affected, "categories"),
        "regions": counts_table(affected, "regions"),
        "alerts": list(incident.alerts.all()),
        "teams": list(incident.affected_teams.all()),
        "reported": utc(incident.reported_at),
        "discovered": utc(incident.discovered_at),
        "aware": utc(incident.aware_at),
        "closed": incident.status == Status.CLOSED,
        "review": getattr(incident, "review", None),
    }
    return render(request, "incidents/incident.html", context, status=status)


def decision_form(obligation_id: int, data: Any = None) -> DecisionForm:
    return DecisionForm(data, prefix=f"notice-{obligation_id}", approvers=handlers())


def draft_form(obligation: Obligation, data: Any = None) -> DraftForm:
    return DraftForm(data, prefix=f"draft-{obligation.pk}", initial={"text": obligation.draft})


def incident_for(request: HttpRequest, incident_id: uuid.UUID) -> Incident:
    return incident_get_for(caller_of(request), incident_id)


def submit(
    request: HttpRequest,
    incident: Incident,
    form: forms.Form,
    name: str,
    act: Callable[[dict[str, Any]], str],
    *,
    key: object = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Run `act` with the form's cleaned data; its message on success, the form's errors on
    a refusal (shown as `name` on the page again, or as `name[key]` for one notice's form;
    400)."""
    if form.is_valid():
        try:
            done = act(form.cleaned_data)
        except ServiceError as error:
            put_errors(form, error.fields, error.message)
        else:
            messages.success(request, done)
            return redirect("incidents:incident", incident_id=incident.pk)
    bound: dict[str, Any] = {name: {key: form} if key is not None else form, **(extra or {})}
    return render_incident(request, incident, status=400, **bound)


@gate.page(can_view_incidents)
@require_GET
def incident_page(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    return render_incident(request, incident_for(request, incident_id))


@gate.page(can_view_incidents)
@require_POST
def incident_note(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        incident_note_add(caller=caller_of(request), incident=incident, text=data["text"])
        return "Note added."

    return submit(request, incident, NoteForm(request.POST), "note_form", act)


@gate.page(can_handle_incidents)
@require_POST
def incident_step(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        incident_transition(
            caller=caller_of(request), incident=incident, status=data["status"], note=data["note"]
        )
        return f"{incident.reference} is now {incident.get_status_display().lower()}."

    return submit(request, incident, TransitionForm(request.POST), "transition_form", act)
