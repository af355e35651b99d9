"""The register through the API: report, list, read and change incidents; who sees which."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Team, User
from ccplatform.deadlines import Deadline
from incidents.models import Incident, Obligation, Status
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
from tests.personas import Integrator, as_caller, make_integrator

pytestmark = pytest.mark.django_db

CLOCKS = {"aware_at": iso(hours_ago(1)), "discovered_at": iso(hours_ago(2))}


def _listed(client: Client, query: str = "") -> list[str]:
    response = client.get(f"{API}{query}")
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


# --- Reporting ------------------------------------------------------------------------------


def test_agent_reports_an_incident_and_gets_its_whole_record(agent: User, team_a: Team) -> None:
    response = send(signed_in(agent), "post", API, {**REPORT, **CLOCKS})

    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert response["Location"] == incident_url(incident)
    body = response.json()
    assert body["reference"] == incident.reference
    assert (body["status"], body["opened_via"], body["reporter"]) == (
        "reported",
        "api",
        "agent.ann",
    )
    assert body["team_ids"] == [str(team_a.pk)]
    assert [row["rule"] for row in body["obligations"]] == ["gdpr.33.authority"]
    assert [entry["kind"] for entry in body["timeline"]] == ["opened", "obligation"]
    [opened] = events("incident.opened")
    assert (opened.actor_id, opened.target_id) == (str(agent.pk), str(incident.pk))
    assert opened.details["via"] == "api"
    [synced] = events("incident.obligations_synced")
    assert synced.details == {"added": ["gdpr.33.authority"]}


def test_aware_at_after_now_is_refused_naming_aware_at(agent: User) -> None:
    body = {**REPORT, **CLOCKS, "aware_at": iso(timezone.now() + timedelta(hours=1))}

    response = send(signed_in(agent), "post", API, body)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"aware_at"}
    assert not Incident.objects.exists()
    assert events("incident.opened") == []


def test_a_time_without_its_zone_is_refused_rather_than_guessed(agent: User) -> None:
    response = send(
        signed_in(agent), "post", API, {**REPORT, **CLOCKS, "discovered_at": "2026-01-05T10:00"}
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "discovered_at": ["Give a time with its zone (an offset or Z)."]
    }


def test_without_a_discovery_time_or_an_alert_the_service_names_discovered_at(
    agent: User,
) -> None:
    response = send(signed_in(agent), "post", API, REPORT)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"discovered_at": ["This field is required."]}


def test_unknown_and_read_only_keys_are_refused_by_name(agent: User) -> None:
    body = {**REPORT, **CLOCKS, "status": "closed", "colour": "red"}

    response = send(signed_in(agent), "post", API, body)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "colour": ["Unknown field."],
        "status": ["This field is read-only."],
    }


def test_wrong_choices_name_their_fields(agent: User) -> None:
    body = {**REPORT, **CLOCKS, "nature": "secrecy", "data_categories": ["contact", "dna"]}

    response = send(signed_in(agent), "post", API, body)

    fields = error_of(response)["fields"]
    assert set(fields) == {"nature", "data_categories"}
    assert fields["data_categories"][0].startswith("Item 2:")


def test_a_team_the_reporter_does_not_work_in_is_refused(agent: User, team_b: Team) -> None:
    body = {**REPORT, **CLOCKS, "team_ids": [str(team_b.pk)]}

    response = send(signed_in(agent), "post", API, body)

    assert error_of(response)["fields"] == {"team_ids": ["Choose teams you work with."]}


def test_incidents_write_key_reports_and_reads_only_what_it_reported(agent: User) -> None:
    siem = with_key(make_integrator("siem.feed", scopes=("incidents:write",)))
    someone_elses = report(agent)

    response = send(siem, "post", API, {**REPORT, **CLOCKS, "title": "Impossible travel"})

    assert response.status_code == 201, response.content
    assert response.json()["reporter"] == "siem.feed"
    own = Incident.objects.get(title="Impossible travel")
    assert _listed(siem) == [own.reference]
    assert siem.get(incident_url(own)).status_code == 200
    assert siem.get(incident_url(someone_elses)).status_code == 404
    assert send(siem, "patch", incident_url(own), {"severity": "low"}).status_code == 403


def test_a_customers_read_key_is_refused_and_the_refusal_recorded(
    integrator: Integrator, agent: User
) -> None:
    incident = report(agent)
    key = with_key(integrator)

    answers = [
        key.get(API).status_code,
        send(key, "post", API, {**REPORT, **CLOCKS}).status_code,
        key.get(incident_url(incident)).status_code,
    ]

    assert answers == [403, 403, 403]
    denied = events("access.denied")
    assert len(denied) == 3
    assert {event.details["rule"] for event in denied} == {"incidents.view", "incidents.report"}


# --- The list -------------------------------------------------------------------------------


def test_each_caller_lists_what_they_may_see(
    agent: User, other_agent: User, supervisor: User, compliance_officer: User
) -> None:
    mine = report(agent)
    theirs = report(other_agent)

    assert _listed(signed_in(agent)) == [mine.reference]
    assert _listed(signed_in(other_agent)) == [theirs.reference]
    assert _listed(signed_in(supervisor)) == [mine.reference]  # same team as the agent
    assert _listed(signed_in(compliance_officer)) == [theirs.reference, mine.reference]


def test_the_list_filters_by_status_and_exercise(agent: User, compliance_officer: User) -> None:
    real = report(agent)
    drill = report(agent, is_exercise=True)
    incident_transition(caller=as_caller(compliance_officer), incident=real, status=Status.TRIAGE)
    officer = signed_in(compliance_officer)

    assert _listed(officer, "?status=triage") == [real.reference]
    assert _listed(officer, "?status=reported") == [drill.reference]
    assert _listed(officer, "?exercise=true") == [drill.reference]
    assert _listed(officer, "?exercise=false") == [real.reference]
    assert drill.reference.startswith("EX-")


def test_the_list_refuses_unknown_parameters_and_values_by_name(compliance_officer: User) -> None:
    response = signed_in(compliance_officer).get(f"{API}?colour=red&status=lost")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"colour", "status"}


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_is_paged_and_its_queries_do_not_grow_with_the_rows(
    agent: User, compliance_officer: User
) -> None:
    officer = signed_in(compliance_officer)
    for _ in range(3):
        report(agent)
    few = _list_queries(officer)
    for _ in range(3):
        report(agent)

    assert _list_queries(officer) == few
    page = officer.get(f"{API}?page_size=4").json()
    assert (page["count"], len(page["results"])) == (6, 4)
    assert page["next"] is not None


# --- One incident ---------------------------------------------------------------------------


def test_the_record_shows_each_clock_in_utc_and_in_the_zone_it_was_counted_in(
    agent: User, compliance_officer: User
) -> None:
    incident = report(agent, data_categories=("contact", "medical"))

    response = signed_in(compliance_officer).get(incident_url(incident))

    assert response.status_code == 200
    body = response.json()
    rows = {row["rule"]: row for row in body["obligations"]}
    assert set(rows) == {"gdpr.33.authority", "hipaa.404.individuals", "hipaa.408.hhs_log"}
    hipaa = rows["hipaa.404.individuals"]
    stored = Obligation.objects.get(rule="hipaa.404.individuals")
    assert hipaa["deadline"] == stored.deadline.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert hipaa["zone"] == "America/New_York"
    assert hipaa["deadline_shown"] == Deadline(stored.deadline, stored.zone).shown()
    assert hipaa["deadline_shown"].endswith("(America/New_York)")
    left = (stored.deadline - timezone.now()).total_seconds()
    assert 0 <= left - hipaa["seconds_left"] < 60
    assert (hipaa["status"], hipaa["basis"], hipaa["applies"]) == ("pending_decision", "law", True)
    assert "Personal data" in rows["gdpr.33.authority"]["draft"]
    assert body["next_step"] == {"status": "triage", "label": "Triage", "missing": {}}
    assert (body["affected"], body["review"]) == (None, None)
    [viewed] = events("incident.viewed")
    assert (viewed.actor_id, viewed.target_id) == (str(compliance_officer.pk), str(incident.pk))


def test_the_next_step_says_what_notified_still_lacks(
    agent: User, compliance_officer: User, settings: Settings
) -> None:
    settings.INCIDENT_DPO_CONTACT = ""
    incident = report(agent)
    for step in (Status.TRIAGE, Status.CONTAINED):
        incident_transition(caller=as_caller(compliance_officer), incident=incident, status=step)

    step = signed_in(compliance_officer).get(incident_url(incident)).json()["next_step"]

    assert step["status"] == "notified"
    assert set(step["missing"]) == {
        "obligations",
        "affected",
        "dpo_contact",
        "consequences",
        "measures",
    }


def test_agent_of_another_team_gets_the_404_of_a_missing_incident(
    agent: User, other_agent: User
) -> None:
    theirs = report(other_agent)  # affects team B only
    client = signed_in(agent)

    hidden = client.get(incident_url(theirs))
    missing = client.get(f"{API}{uuid.uuid4()}/")
    note = send(client, "post", incident_url(theirs, "notes/"), {"text": "Seen it"})

    assert [hidden.status_code, missing.status_code, note.status_code] == [404, 404, 404]
    assert error_of(hidden) | {"request_id": None} == error_of(missing) | {"request_id": None}
    assert {event.details["rule"] for event in refusals()} == {"incidents.visible"}
    assert len(refusals()) == 3
    assert events("incident.viewed") == []


@pytest.mark.parametrize(
    "tail",
    [
        "",
        "{id}/",
        "{id}/transition/",
        "{id}/notes/",
        "{id}/affected/",
        "{id}/affected/1/customers/",
        "{id}/obligations/1/decision/",
        "{id}/obligations/1/draft/",
        "{id}/containment/",
        "{id}/review/",
        "obligations/",
    ],
)
def test_nothing_is_ever_deleted(compliance_officer: User, agent: User, tail: str) -> None:
    incident = report(agent)

    response = signed_in(compliance_officer).delete(f"{API}{tail.format(id=incident.pk)}")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_without_credentials_every_incidents_endpoint_answers_401(
    client: Client, agent: User
) -> None:
    incident = report(agent)
    urls = [API, incident_url(incident), f"{API}obligations/", incident_url(incident, "affected/")]

    answers = {url: (client.get(url).status_code, client.post(url).status_code) for url in urls}

    assert set(answers.values()) == {(401, 401)}


# --- Changing facts -------------------------------------------------------------------------


def test_a_handler_changes_facts_and_the_fields_are_audited(
    agent: User, compliance_officer: User
) -> None:
    incident = report(agent)

    response = send(
        signed_in(compliance_officer),
        "patch",
        incident_url(incident),
        {"severity": "critical", "consequences": "Phishing of the customers reached."},
    )

    assert response.status_code == 200, response.content
    assert response.json()["severity"] == "critical"
    [updated] = events("incident.updated")
    assert updated.details["fields"] == ["consequences", "severity"]
    assert updated.actor_id == str(compliance_officer.pk)


def test_moving_a_clock_needs_a_reason_kept_on_the_timeline(
    agent: User, compliance_officer: User
) -> None:
    incident = report(agent)
    officer = signed_in(compliance_officer)
    earlier = {"aware_at": iso(hours_ago(2.5))}

    refused = send(officer, "patch", incident_url(incident), earlier)
    moved = send(officer, "patch", incident_url(incident), {**earlier, "reason": "Logs say so"})

    assert error_of(refused)["fields"] == {
        "reason": ["Say why the clock moves (kept on the timeline)."]
    }
    assert moved.status_code == 200, moved.content
    assert moved.json()["timeline"][-2]["kind"] == "override"
    assert events("incident.updated")[0].reason == "Logs say so"


def test_a_clock_moved_after_now_names_its_field(agent: User, compliance_officer: User) -> None:
    incident = report(agent)
    later = iso(timezone.now() + timedelta(hours=1))

    response = send(
        signed_in(compliance_officer),
        "patch",
        incident_url(incident),
        {"aware_at": later, "reason": "Typo"},
    )

    assert response.status_code == 400
    assert "aware_at" in error_of(response)["fields"]


def test_only_handlers_change_facts_and_only_the_editable_ones(
    agent: User, compliance_officer: User
) -> None:
    incident = report(agent)

    by_agent = send(signed_in(agent), "patch", incident_url(incident), {"severity": "low"})
    exercise = send(
        signed_in(compliance_officer), "patch", incident_url(incident), {"is_exercise": True}
    )

    assert by_agent.status_code == 403
    assert error_of(exercise)["fields"] == {"is_exercise": ["This field is read-only."]}
    assert events("incident.updated") == []
