"""Moving an incident on through the API: steps, notes, and the notices it owes (decisions,
drafts, and the notices open across incidents)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Role, User
from ccplatform.deadlines import Deadline
from incidents.models import Incident, Obligation, ObligationStatus, Status
from incidents.services.workflow import incident_transition
from tests.customers.api_support import error_of
from tests.incidents.test_api_support import (
    API,
    REPORT,
    events,
    hours_ago,
    incident_url,
    iso,
    refusals,
    report,
    send,
    signed_in,
    with_key,
)
from tests.personas import as_caller, audit_text, make_integrator, make_person

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

OPEN = f"{API}obligations/"
CARD = "4111 1111 1111 1111"


@pytest.fixture
def officer(compliance_officer: User) -> Client:
    return signed_in(compliance_officer)


@pytest.fixture
def incident(agent: User) -> Incident:
    return report(agent)


def _notice(incident: Incident) -> Obligation:
    return incident.obligations.get(rule="gdpr.33.authority")


def _decide(client: Client, obligation: Obligation, **body: object) -> TestResponse:
    url = incident_url(obligation.incident, f"obligations/{obligation.pk}/decision/")
    return send(client, "post", url, dict(body))


# --- Steps ----------------------------------------------------------------------------------


def test_a_handler_takes_the_next_step_with_a_note(officer: Client, incident: Incident) -> None:
    step = {"status": "triage", "note": "On it"}

    response = send(officer, "post", incident_url(incident, "transition/"), step)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["next_step"]["status"]) == ("triage", "contained")
    assert (body["timeline"][-1]["kind"], body["timeline"][-1]["text"]) == ("status", "On it")
    [changed] = events("incident.status_changed")
    assert changed.details == {"from": "reported", "to": "triage"}


@pytest.mark.parametrize("wanted", ["closed", "contained", "done"])
def test_a_step_out_of_order_or_unknown_names_status(
    officer: Client, incident: Incident, wanted: str
) -> None:
    response = send(officer, "post", incident_url(incident, "transition/"), {"status": wanted})

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"status"}
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    assert events("incident.status_changed") == []


def test_notified_without_its_content_names_every_missing_piece(
    officer: Client, incident: Incident, compliance_officer: User, settings: Settings
) -> None:
    settings.INCIDENT_DPO_CONTACT = ""
    for step in (Status.TRIAGE, Status.CONTAINED):
        incident_transition(caller=as_caller(compliance_officer), incident=incident, status=step)

    response = send(officer, "post", incident_url(incident, "transition/"), {"status": "notified"})

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {
        "obligations",
        "affected",
        "dpo_contact",
        "consequences",
        "measures",
    }


def test_reporters_may_not_take_steps_and_the_refusal_is_recorded(
    agent: User, incident: Incident
) -> None:
    response = send(
        signed_in(agent), "post", incident_url(incident, "transition/"), {"status": "triage"}
    )

    assert response.status_code == 403
    assert [event.details["rule"] for event in events("access.denied")] == ["incidents.handle"]


# --- Notes ----------------------------------------------------------------------------------


def test_the_reporter_adds_a_note_with_card_numbers_masked(agent: User, incident: Incident) -> None:
    response = send(
        signed_in(agent),
        "post",
        incident_url(incident, "notes/"),
        {"text": f"The screen showed card {CARD} when it was lost."},
    )

    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry["kind"] == "note"
    assert CARD not in entry["text"]
    assert "1111" in entry["text"]
    assert incident.timeline.filter(kind="note").get().text == entry["text"]
    [added] = events("incident.note_added")
    assert added.actor_id == str(agent.pk)
    assert CARD not in audit_text()


def test_an_empty_note_names_text(agent: User, incident: Incident) -> None:
    response = send(signed_in(agent), "post", incident_url(incident, "notes/"), {"text": "  "})

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"text"}


def test_an_incidents_write_key_adds_notes_to_what_it_reported(agent: User) -> None:
    key = with_key(make_integrator("siem.feed", scopes=("incidents:write",)))
    clocks = {"aware_at": iso(hours_ago(1)), "discovered_at": iso(hours_ago(2))}
    own = Incident.objects.get(pk=send(key, "post", API, {**REPORT, **clocks}).json()["id"])
    other = report(agent)

    assert send(key, "post", incident_url(own, "notes/"), {"text": "More"}).status_code == 201
    assert send(key, "post", incident_url(other, "notes/"), {"text": "More"}).status_code == 404


# --- Deciding notices -----------------------------------------------------------------------


def test_filing_a_notice_records_the_decision(
    officer: Client, incident: Incident, compliance_officer: User
) -> None:
    notice = _notice(incident)

    response = _decide(
        officer, notice, decision="filed", filed_at=iso(hours_ago(0.5)), reference="ICO-123"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reference"]) == ("filed", "ICO-123")
    assert body["decided_by"] == str(compliance_officer.pk)
    assert body["sent_copy"] == notice.draft
    assert body["seconds_left"] is None
    [decided] = events("incident.obligation_decided")
    assert decided.details["decision"] == "filed"


def test_a_notice_filed_after_its_deadline_needs_the_reasons_for_the_delay(
    officer: Client, agent: User
) -> None:
    late = report(agent, aware_at=hours_ago(80), discovered_at=hours_ago(81))
    notice = _notice(late)
    filed = {"decision": "filed", "filed_at": iso(hours_ago(1)), "reference": "ICO-9"}

    refused = _decide(officer, notice, **filed)
    accepted = _decide(officer, notice, **filed, reason="The processor told us late.")

    assert set(error_of(refused)["fields"]) == {"reason"}
    assert accepted.json()["status"] == "late"


def test_not_required_without_a_reason_or_an_approver_names_both(
    officer: Client, incident: Incident
) -> None:
    response = _decide(officer, _notice(incident), decision="not_required")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"reason", "approver_id"}
    assert _notice(incident).status == ObligationStatus.PENDING


def test_not_required_is_approved_by_another_handler_and_is_final(
    officer: Client, incident: Incident, compliance_officer: User
) -> None:
    deputy = make_person("comply.dana", Role.COMPLIANCE_OFFICER)
    notice = _notice(incident)

    own = _decide(
        officer,
        notice,
        decision="not_required",
        reason="Unlikely to result in a risk.",
        approver_id=str(compliance_officer.pk),
    )
    approved = _decide(
        officer,
        notice,
        decision="not_required",
        reason="Unlikely to result in a risk.",
        approver_id=str(deputy.pk),
    )
    again = _decide(officer, notice, decision="filed", filed_at=iso(hours_ago(0)), reference="X")

    assert set(error_of(own)["fields"]) == {"approver_id"}
    assert approved.json()["approver"] == str(deputy.pk)
    assert approved.json()["status"] == "not_required"
    assert again.status_code == 400
    assert len(events("incident.obligation_decided")) == 1


def test_an_unknown_decision_names_decision(officer: Client, incident: Incident) -> None:
    response = _decide(officer, _notice(incident), decision="maybe")

    assert set(error_of(response)["fields"]) == {"decision"}


def test_a_notice_of_another_incident_answers_404(
    officer: Client, incident: Incident, agent: User
) -> None:
    other = _notice(report(agent))
    url = incident_url(incident, f"obligations/{other.pk}/decision/")

    response = send(officer, "post", url, {"decision": "filed"})
    missing = send(officer, "put", incident_url(incident, "obligations/999/draft/"), {"text": "x"})

    assert (response.status_code, missing.status_code) == (404, 404)
    assert {event.details["resource"] for event in refusals()} == {
        f"incidents.obligation:{other.pk}",
        "incidents.obligation:999",
    }
    other.refresh_from_db()
    assert other.status == ObligationStatus.PENDING


# --- Drafts ---------------------------------------------------------------------------------


def test_an_edited_draft_is_kept_when_the_facts_change(officer: Client, incident: Incident) -> None:
    notice = _notice(incident)
    url = incident_url(incident, f"obligations/{notice.pk}/draft/")

    response = send(officer, "put", url, {"text": "Dear supervisory authority, ..."})
    send(officer, "patch", incident_url(incident), {"consequences": "Phishing."})

    assert response.status_code == 200, response.content
    assert response.json()["draft_edited"] is True
    notice.refresh_from_db()
    assert notice.draft == "Dear supervisory authority, ..."
    [edited] = events("incident.draft_edited")
    assert edited.details["obligation"] == notice.pk


def test_a_blank_draft_names_text_and_post_is_not_allowed(
    officer: Client, incident: Incident
) -> None:
    url = incident_url(incident, f"obligations/{_notice(incident).pk}/draft/")

    blank = send(officer, "put", url, {"text": ""})
    posted = send(officer, "post", url, {"text": "x"})

    assert set(error_of(blank)["fields"]) == {"text"}
    assert posted.status_code == 405


# --- Notices open across incidents ----------------------------------------------------------


def test_open_notices_come_soonest_first_with_their_incident(
    officer: Client, agent: User, compliance_officer: User
) -> None:
    later = report(agent, aware_at=hours_ago(1), discovered_at=hours_ago(2))
    sooner = report(agent, aware_at=hours_ago(10), discovered_at=hours_ago(11), is_exercise=True)
    done = report(agent, aware_at=hours_ago(20), discovered_at=hours_ago(21))
    _decide(officer, _notice(done), decision="filed", filed_at=iso(hours_ago(0)), reference="X")

    response = officer.get(OPEN)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["incident_reference"] for row in rows] == [sooner.reference, later.reference]
    assert [row["exercise"] for row in rows] == [True, False]
    first = _notice(sooner)
    assert rows[0]["deadline_shown"] == Deadline(first.deadline, "UTC").shown()
    left = (first.deadline - timezone.now()).total_seconds()
    assert 0 <= left - rows[0]["seconds_left"] < 60


def test_open_notices_are_for_handlers_only(agent: User) -> None:
    key = with_key(make_integrator("siem.feed", scopes=("incidents:write",)))

    assert signed_in(agent).get(OPEN).status_code == 403
    assert key.get(OPEN).status_code == 403
    assert signed_in(agent).get(f"{OPEN}?colour=red").status_code == 403


def test_open_notices_refuse_unknown_parameters(officer: Client) -> None:
    response = officer.get(f"{OPEN}?colour=red")

    assert error_of(response)["fields"] == {"colour": ["Unknown parameter."]}
