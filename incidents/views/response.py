"""The incident page's handler forms: facts and clocks, affected customers, the decision
and draft of each notice, containment, the review. Each runs one service (see incident.py
for how a refusal is shown)."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from ccplatform import gate
from ccplatform.callers import caller_of
from incidents.forms import (
    AffectedForm,
    ClocksForm,
    ContainmentForm,
    FollowUpForm,
    IncidentFactsForm,
    ReviewForm,
)
from incidents.models import Incident, Obligation
from incidents.permissions import can_handle_incidents
from incidents.selectors import obligation_get_for
from incidents.services.affected import Compromised
from incidents.services.containment import contain
from incidents.services.obligations import obligation_decide, obligation_draft_edit
from incidents.services.register import incident_update
from incidents.services.review import FollowUpAction, review_write
from incidents.tasks import affected_request
from incidents.views.incident import (
    account_choices,
    decision_form,
    draft_form,
    incident_for,
    submit,
    team_choices,
)
from incidents.views.shown import handlers


@gate.page(can_handle_incidents)
@require_POST
def incident_facts(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        incident_update(caller=caller_of(request), incident=incident, changes=data)
        return "Facts saved; the notices owed follow them."

    form = IncidentFactsForm(request.POST, teams=team_choices())
    return submit(request, incident, form, "facts_form", act)


@gate.page(can_handle_incidents)
@require_POST
def incident_clocks(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        changes = {"discovered_at": data["discovered_at"], "aware_at": data["aware_at"]}
        incident_update(
            caller=caller_of(request), incident=incident, changes=changes, reason=data["reason"]
        )
        return "Clocks moved; the deadlines follow."

    return submit(request, incident, ClocksForm(request.POST), "clocks_form", act)


@gate.page(can_handle_incidents)
@require_POST
def incident_affected(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        affected_request(
            caller=caller_of(request),
            incident=incident,
            compromised=Compromised(
                user_id=data["user_id"],
                api_key_prefix=data["api_key_prefix"],
                session_id=data["session_id"],
                network=data["network"],
                since=data["since"],
                until=data["until"],
            ),
        )
        return "Affected customers are being computed; the counts appear here when done."

    form = AffectedForm(request.POST, people=account_choices())
    return submit(request, incident, form, "affected_form", act)


def _obligation(request: HttpRequest, incident: Incident, obligation_id: int) -> Obligation:
    return obligation_get_for(caller_of(request), incident, obligation_id)


@gate.page(can_handle_incidents)
@require_POST
def obligation_decision(
    request: HttpRequest, incident_id: uuid.UUID, obligation_id: int
) -> HttpResponse:
    incident = incident_for(request, incident_id)
    obligation = _obligation(request, incident, obligation_id)

    def act(data: dict[str, Any]) -> str:
        obligation_decide(caller=caller_of(request), obligation=obligation, **data)
        return f"{obligation}: {obligation.get_status_display().lower()}."

    form = decision_form(obligation.pk, request.POST)
    return submit(request, incident, form, "decision_forms", act, key=obligation.pk)


@gate.page(can_handle_incidents)
@require_POST
def obligation_draft(
    request: HttpRequest, incident_id: uuid.UUID, obligation_id: int
) -> HttpResponse:
    incident = incident_for(request, incident_id)
    obligation = _obligation(request, incident, obligation_id)

    def act(data: dict[str, Any]) -> str:
        obligation_draft_edit(caller=caller_of(request), obligation=obligation, text=data["text"])
        return f"Draft of {obligation} saved."

    form = draft_form(obligation, request.POST)
    return submit(request, incident, form, "draft_forms", act, key=obligation.pk)


@gate.page(can_handle_incidents)
@require_POST
def incident_containment(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)

    def act(data: dict[str, Any]) -> str:
        prefixes = [prefix for prefix in data["prefixes"].split(",") if prefix.strip()]
        fields = {**data, "prefixes": prefixes}
        contain(caller=caller_of(request), incident=incident, action=data["action"], fields=fields)
        label = dict(ContainmentForm.ACTIONS)[data["action"]]
        return f"Done: {label.lower()} (on the timeline)."

    form = ContainmentForm(request.POST, people=account_choices(), teams=team_choices())
    return submit(request, incident, form, "containment_form", act)


@gate.page(can_handle_incidents)
@require_POST
def incident_review(request: HttpRequest, incident_id: uuid.UUID) -> HttpResponse:
    incident = incident_for(request, incident_id)
    owners = handlers()
    follow_ups = [
        FollowUpForm(request.POST, prefix=f"follow-{index}", people=owners)
        for index in range(ReviewForm.FOLLOW_UPS)
    ]

    def act(data: dict[str, Any]) -> str:
        actions = [
            FollowUpAction(
                f.cleaned_data["action"], f.cleaned_data["owner_id"], f.cleaned_data["due_on"]
            )
            for f in follow_ups
            if f.is_valid() and any(f.cleaned_data.values())
        ]
        review_write(caller=caller_of(request), incident=incident, follow_ups=actions, **data)
        return "Review written; the incident can be closed."

    return submit(
        request,
        incident,
        ReviewForm(request.POST),
        "review_form",
        act,
        extra={"follow_up_forms": follow_ups},
    )
