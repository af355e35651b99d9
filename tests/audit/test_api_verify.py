"""Verifying the chains and reading the signed checkpoints over the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from audit.checkpoints import signature_valid
from audit.models import Alert, AuditEvent, Checkpoint, VerificationRun
from audit.services.verification import audit_verify
from ccplatform.callers import Caller
from tests.audit.tampering import on_one_chain, raw, record_events
from tests.customers.api_support import as_key, error_of, signed_in
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db

SCHEDULE = Caller.system("test-schedule")  # signs checkpoints, as the scheduled runs do

VERIFY = "/api/v1/audit/verify/"
CHECKPOINTS = "/api/v1/audit/checkpoints/"


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return signed_in(client, compliance_officer)


def _json(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:300]
    body: dict[str, Any] = response.json()
    return body


def test_an_intact_log_verifies_incrementally_by_default(
    officer: Client, compliance_officer: User
) -> None:
    record_events(3)
    existing = AuditEvent.objects.count()

    body = _json(officer.get(VERIFY))

    run = VerificationRun.objects.get()
    assert body == {
        "run": run.pk,
        "ok": True,
        "kind": "incremental",
        "events_checked": existing,
        "chains_checked": run.chains_checked,
        "breaks": [],
        "alerts": [],
    }
    assert run.trigger == "api"
    assert not Checkpoint.objects.exists()  # the API signs nothing
    verified = AuditEvent.objects.get(action="audit.verified")
    assert (verified.actor_id, verified.target_id) == (str(compliance_officer.pk), str(run.pk))
    assert verified.details == {
        "kind": "incremental",
        "trigger": "api",
        "events": existing,
        "chains": run.chains_checked,
        "broken_chains": [],
        "checkpoints_made": 0,
    }


def test_full_true_walks_every_chain_from_its_first_link(officer: Client) -> None:
    record_events(2)

    assert _json(officer.get(VERIFY, {"full": "true"}))["kind"] == "full"


def test_after_tampering_the_first_broken_link_is_reported_with_a_critical_alert(
    officer: Client,
) -> None:
    events = on_one_chain(record_events(5))
    victim = events[2]
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["platform.edited", victim.pk])
    raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["later", events[3].pk])

    body = _json(officer.get(VERIFY, {"full": "true"}))

    assert body["ok"] is False
    assert len(body["breaks"]) == 1
    [found] = body["breaks"]
    assert (found["chain"], found["seq"], found["event_id"]) == (
        victim.chain,
        victim.seq,
        victim.pk,
    )
    assert "edited" in found["problem"]
    alert = Alert.objects.get()
    assert body["alerts"] == [str(alert.pk)]
    assert (alert.rule, alert.severity, alert.subject) == (
        "verification_failed",
        "critical",
        f"chain:{victim.chain}",
    )
    assert AuditEvent.objects.get(action="audit.verified").outcome == "failed"


def test_a_deleted_link_is_reported_as_missing(officer: Client) -> None:
    events = on_one_chain(record_events(4))
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    [found] = _json(officer.get(VERIFY))["breaks"]

    assert (found["chain"], found["seq"], found["event_id"]) == (
        events[1].chain,
        events[1].seq,
        None,
    )


def test_a_malformed_full_flag_is_a_400(officer: Client) -> None:
    response = officer.get(VERIFY, {"full": "perhaps"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["full"]
    assert not VerificationRun.objects.exists()


def test_key_with_audit_read_may_verify(db: None) -> None:
    key = make_integrator("siem.verify", scopes=("audit:read",))

    body = _json(Client().get(VERIFY, headers=as_key(key)))

    assert body["ok"] is True
    assert AuditEvent.objects.get(action="audit.verified").actor_kind == "api_key"


@pytest.mark.parametrize("persona", ["agent", "supervisor", "security_admin"])
@pytest.mark.parametrize("url", [VERIFY, CHECKPOINTS])
def test_people_without_the_verify_permission_are_refused(
    client: Client, persona: str, url: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(persona)

    response = signed_in(client, person).get(url)

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.target_type, denied.target_id) == (
        str(person.pk),
        "api",
        f"GET {url}",
    )
    assert denied.details == {
        "rule": "audit.verify",
        "via": "api",
        "resource": f"GET {url}",
        "why": "missing_permission:audit.verify_auditevent",
    }
    assert not VerificationRun.objects.exists()


def test_key_without_audit_read_cannot_verify(integrator: Integrator) -> None:
    assert Client().get(VERIFY, headers=as_key(integrator)).status_code == 403
    assert Client().get(CHECKPOINTS, headers=as_key(integrator)).status_code == 403
    refusals = AuditEvent.objects.filter(action="access.denied").order_by("id")
    assert [(event.actor_kind, event.details) for event in refusals] == [
        (
            "api_key",
            {
                "rule": "audit.verify",
                "via": "api",
                "resource": f"GET {url}",
                "why": "missing_scope:audit:read",
            },
        )
        for url in (VERIFY, CHECKPOINTS)
    ]
    assert not VerificationRun.objects.exists()


# --- Checkpoints -------------------------------------------------------------------------------


def test_checkpoints_are_listed_oldest_first_with_their_signatures(officer: Client) -> None:
    record_events(2, actor="first-actor")
    audit_verify(caller=SCHEDULE, full=True, trigger="schedule")
    record_events(2, actor="first-actor")
    audit_verify(caller=SCHEDULE, full=False, trigger="schedule")

    body = _json(officer.get(CHECKPOINTS))

    stored = list(Checkpoint.objects.order_by("id"))
    assert body["count"] == len(stored) >= 2
    assert [(row["chain"], row["seq"]) for row in body["results"]] == [
        (checkpoint.chain, checkpoint.seq) for checkpoint in stored
    ]
    first = body["results"][0]
    assert set(first) == {
        "chain",
        "seq",
        "hash",
        "event_id",
        "key_version",
        "signature",
        "created_at",
    }
    assert signature_valid(stored[0])
    assert first["signature"] == stored[0].signature
    viewed = AuditEvent.objects.get(action="audit.checkpoints_viewed")
    assert viewed.details == {"via": "api", "page": 1, "checkpoints": len(stored)}


def test_checkpoints_come_in_pages(officer: Client) -> None:
    record_events(1)
    audit_verify(caller=SCHEDULE, full=True, trigger="schedule")

    body = _json(officer.get(CHECKPOINTS, {"page_size": "1"}))

    assert len(body["results"]) == 1
    assert body["count"] == Checkpoint.objects.count()
    assert (body["next"] is None) == (body["count"] == 1)


def test_an_unknown_checkpoint_parameter_is_a_400(officer: Client) -> None:
    response = officer.get(CHECKPOINTS, {"since": "2026-01-01"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["since"]


def test_key_with_audit_read_reads_the_checkpoints(db: None) -> None:
    key = make_integrator("siem.copy", scopes=("audit:read",))

    assert _json(Client().get(CHECKPOINTS, headers=as_key(key)))["results"] == []
