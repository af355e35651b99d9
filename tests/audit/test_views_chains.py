"""Chain status and "Verify now"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Alert, AlertRule, AuditEvent, ChainHead, VerificationRun
from tests.audit.tampering import on_one_chain, raw, record_events
from tests.personas import login_verified

pytestmark = pytest.mark.django_db

CHAINS = reverse("audit:chains")
VERIFY = reverse("audit:verify")


@pytest.fixture
def officer(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


def test_status_before_any_verification(officer: Client) -> None:
    record_events(3)
    html = officer.get(CHAINS).content.decode()
    events = sum(ChainHead.objects.values_list("seq", flat=True))
    assert f"holding {events} events" in html
    assert "have not been verified yet" in html
    assert f'action="{VERIFY}"' in html


def test_verify_now_checks_signs_and_shows_an_intact_log(
    officer: Client, compliance_officer: User
) -> None:
    record_events(4)
    response = officer.post(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == CHAINS
    run = VerificationRun.objects.get()
    assert (run.ok, run.trigger, run.kind) == (True, "page", "incremental")
    assert run.checkpoints_made >= 1
    verified = AuditEvent.objects.get(action="audit.verified")
    assert (verified.actor_kind, verified.actor_id) == ("user", str(compliance_officer.pk))
    assert (verified.details["kind"], verified.details["trigger"]) == ("incremental", "page")

    html = officer.get(CHAINS).content.decode()
    assert "Verified:" in html
    assert "<h2>Intact</h2>" in html
    assert "Newest checkpoint of each chain" in html
    assert "No checkpoints yet." not in html


def test_verify_now_shows_the_break_after_tampering_and_raises_an_alert(officer: Client) -> None:
    events = on_one_chain(record_events(5))
    victim = events[2]
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["platform.rewritten", victim.pk])

    officer.post(VERIFY)
    html = officer.get(CHAINS).content.decode()
    assert "<h2>Broken</h2>" in html
    assert "broken chain(s) found" in html
    assert (
        f'<tr class="break"><td>{victim.chain}</td><td>{victim.seq}</td><td>{victim.pk}</td>'
        in html
    )
    assert "edited" in html
    alert = Alert.objects.get(rule=AlertRule.VERIFICATION_FAILED)
    assert alert.subject == f"chain:{victim.chain}"


def test_only_verifiers_may_verify(client: Client, security_admin: User) -> None:
    page = login_verified(client, security_admin).get(CHAINS).content.decode()
    assert f'action="{VERIFY}"' not in page  # they may look (audit.view_auditevent), not verify
    assert client.post(VERIFY).status_code == 403
    assert not VerificationRun.objects.exists()
    refusal = AuditEvent.objects.get(action="access.denied", actor_id=str(security_admin.pk))
    assert refusal.details == {
        "rule": "audit.verify",
        "via": "page",
        "resource": f"POST {VERIFY}",
        "why": "missing_permission:audit.verify_auditevent",
    }


def test_verify_is_post_only(officer: Client) -> None:
    assert officer.get(VERIFY).status_code == 405
