"""The post-incident review through the API, and the whole workflow from report to closed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from accounts.models import Team, User
from incidents.models import Incident, ObligationStatus, Status
from incidents.services.obligations import obligation_decide
from incidents.services.workflow import incident_transition
from tests.customers.api_support import error_of
from tests.incidents.test_api_support import (
    API,
    REPORT,
    compute,
    events,
    exposed_customers,
    hours_ago,
    incident_url,
    iso,
    report,
    send,
    signed_in,
    take_step,
)
from tests.personas import as_caller

pytestmark = pytest.mark.django_db


def _review(client: Client, incident: Incident, owner: User, **changes: Any) -> Any:
    body = {
        "cause": "An unlocked laptop.",
        "measures": "Screen locks after 2 minutes.",
        "lessons": "Report losses at once.",
        "follow_ups": [
            {"action": "Enforce screen lock", "owner_id": str(owner.pk), "due_on": "2099-01-31"}
        ],
        **changes,
    }
    return send(client, "post", incident_url(incident, "review/"), body)


def test_the_review_names_each_thing_it_still_needs(agent: User, compliance_officer: User) -> None:
    officer = signed_in(compliance_officer)
    incident = report(agent)

    empty = _review(officer, incident, compliance_officer, follow_ups=[])
    past = _review(
        officer,
        incident,
        compliance_officer,
        follow_ups=[
            {"action": "x", "owner_id": str(compliance_officer.pk), "due_on": "2020-01-01"}
        ],
    )
    malformed = _review(
        officer,
        incident,
        compliance_officer,
        follow_ups=[{"action": "x", "owner_id": str(compliance_officer.pk), "due_on": "soon"}],
    )

    assert set(error_of(empty)["fields"]) == {"status", "rerun", "follow_ups"}
    assert set(error_of(past)["fields"]) == {"status", "rerun", "follow_ups.0"}
    assert error_of(malformed)["fields"]["follow_ups"][0].startswith("Item 1: due_on: ")
    assert events("incident.reviewed") == []


def test_the_whole_workflow_from_report_to_closed(
    settings: Settings, agent: User, compliance_officer: User, team_a: Team
) -> None:
    settings.INCIDENT_DPO_CONTACT = "dpo@example.org"
    exposed_customers(agent, team_a)
    officer = signed_in(compliance_officer)
    facts = {"consequences": "Phishing risk.", "measures": "Session ended, account disabled."}
    clocks = {"aware_at": iso(hours_ago(1)), "discovered_at": iso(hours_ago(2))}
    created = send(officer, "post", API, {**REPORT, **clocks, **facts})
    incident = Incident.objects.get(pk=created.json()["id"])
    steps = [take_step(officer, incident, "triage").status_code]
    compute(officer, incident, user_id=str(agent.pk))
    steps.append(take_step(officer, incident, "contained").status_code)
    owed = officer.get(incident_url(incident)).json()["obligations"]
    for notice in owed:
        decided = send(
            officer,
            "post",
            incident_url(incident, f"obligations/{notice['id']}/decision/"),
            {"decision": "filed", "filed_at": iso(hours_ago(0)), "reference": "REF-1"},
        )
        assert decided.status_code == 200, decided.content
    steps += [take_step(officer, incident, name).status_code for name in ("notified", "recovered")]
    before_rerun = _review(officer, incident, compliance_officer)
    compute(officer, incident, user_id=str(agent.pk))
    written = _review(officer, incident, compliance_officer)
    closed = take_step(officer, incident, "closed")

    assert {notice["rule"] for notice in owed} == {"gdpr.33.authority", "us-ca.residents"}
    assert steps == [200, 200, 200, 200]
    assert set(error_of(before_rerun)["fields"]) == {"rerun"}
    assert written.status_code == 201, written.content
    assert written.json()["follow_ups"][0]["owner"] == str(compliance_officer.pk)
    assert closed.status_code == 200, closed.content
    record = closed.json()
    assert (record["status"], record["next_step"]) == ("closed", None)
    assert record["closed_at"] is not None
    assert record["review"]["rerun"] == record["affected"]["id"]
    assert {row["status"] for row in record["obligations"]} == {ObligationStatus.FILED}
    assert len(events("incident.status_changed")) == 5
    assert len(events("incident.reviewed")) == 1
    # Closed is final: no note, no change of facts, no step.
    note = send(officer, "post", incident_url(incident, "notes/"), {"text": "Late news"})
    change = send(officer, "patch", incident_url(incident), {"severity": "low"})
    again = take_step(officer, incident, "closed")
    assert [note.status_code, change.status_code, again.status_code] == [400, 400, 400]
    assert set(error_of(again)["fields"]) == {"status"}


def test_the_review_is_written_once(
    settings: Settings, agent: User, compliance_officer: User, team_a: Team
) -> None:
    settings.INCIDENT_DPO_CONTACT = "dpo@example.org"
    exposed_customers(agent, team_a)
    officer = signed_in(compliance_officer)
    handler = as_caller(compliance_officer)
    incident = report(agent, consequences="Phishing.", measures="Disabled.")
    incident_transition(caller=handler, incident=incident, status=Status.TRIAGE)
    incident_transition(caller=handler, incident=incident, status=Status.CONTAINED)
    compute(officer, incident, user_id=str(agent.pk))
    for notice in incident.obligations.filter(applies=True):
        obligation_decide(
            caller=handler,
            obligation=notice,
            decision="filed",
            filed_at=hours_ago(0),
            reference="R",
        )
    for step in (Status.NOTIFIED, Status.RECOVERED):
        incident_transition(caller=handler, incident=incident, status=step)

    first = _review(officer, incident, compliance_officer)
    second = _review(officer, incident, compliance_officer)

    assert first.status_code == 201, first.content
    assert set(error_of(second)["fields"]) == {"review"}
