"""Reminders of the clocks: 50 %, 80 %, 100 % and missed, each once, by email to every
incident handler, on the timeline and in the log; a moved clock starts its marks over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Role, User
from audit.models import AuditEvent
from incidents.models import EntryKind, Obligation
from incidents.services.obligations import obligation_decide
from incidents.services.register import incident_update
from incidents.services.reminders import reminders_send
from incidents.tasks import send_reminders
from tests.incidents.world import opened
from tests.personas import as_caller, make_person

pytestmark = pytest.mark.django_db


Send = Callable[..., int]


@pytest.fixture
def send(django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Send:
    """reminders_send, with the mail it queues for the commit sent (as a commit would)."""

    def run(**kwargs: object) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_send(**kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture
def officer(db: None) -> User:
    return make_person("comply.carl", Role.COMPLIANCE_OFFICER, email="carl@example.com")


def gdpr(officer: User) -> Obligation:
    incident = opened(officer, risk="none")
    return incident.obligations.get(rule="gdpr.33.authority")


def at(notice: Obligation, hours: float) -> object:
    return notice.starts_at + timedelta(hours=hours)


def test_each_mark_is_sent_once_as_its_share_of_the_time_passes(officer: User, send: Send) -> None:
    notice = gdpr(officer)
    assert send(now=at(notice, 30)) == 0  # 42 %
    assert send(now=at(notice, 36)) == 1  # 50 %
    assert send(now=at(notice, 40)) == 0  # already sent
    assert send(now=at(notice, 58)) == 1  # 80 %
    assert send(now=at(notice, 72)) == 1  # due now
    assert send(now=at(notice, 95)) == 0
    assert send(now=at(notice, 96)) == 1  # missed: a day after, still undecided
    notice.refresh_from_db()
    assert notice.reminders == ["50", "80", "100", "missed"]
    subjects = [message.subject for message in mail.outbox]
    assert len(subjects) == 4
    assert subjects[2].startswith(f"{notice.incident.reference}: DUE NOW")
    assert mail.outbox[0].to == ["carl@example.com"]
    assert "MISSED" in subjects[3]
    entries = notice.incident.timeline.filter(kind=EntryKind.REMINDER)
    assert [entry.details["mark"] for entry in entries] == ["50", "80", "100", "missed"]
    assert AuditEvent.objects.filter(action="incident.reminded").count() == 4


def test_after_an_outage_only_the_furthest_mark_is_sent(officer: User, send: Send) -> None:
    notice = gdpr(officer)
    assert send(now=at(notice, 70)) == 1
    notice.refresh_from_db()
    assert notice.reminders == ["50", "80"]
    assert len(mail.outbox) == 1
    assert "80 %" in mail.outbox[0].subject


def test_decided_notices_are_not_reminded(officer: User, send: Send) -> None:
    notice = gdpr(officer)
    obligation_decide(
        caller=as_caller(officer),
        obligation=notice,
        decision="filed",
        filed_at=timezone.now(),
        reference="ICO-1",
    )
    assert send(now=at(notice, 100)) == 0


def test_a_moved_clock_starts_its_marks_over(officer: User, send: Send) -> None:
    notice = gdpr(officer)
    send(now=at(notice, 37))
    incident = notice.incident
    incident_update(
        caller=as_caller(officer),
        incident=incident,
        changes={"aware_at": incident.aware_at - timedelta(minutes=30)},
        reason="Log shows it earlier",
    )
    notice.refresh_from_db()
    assert notice.reminders == []


def test_exercise_reminders_say_so(officer: User, send: Send) -> None:
    drill = opened(officer, is_exercise=True, risk="none")
    notice = drill.obligations.get(rule="gdpr.33.authority")
    send(now=at(notice, 40))
    assert mail.outbox[0].subject.startswith("[EXERCISE]")


def test_the_task_runs_the_reminders(
    officer: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    make_person("comply.cleo", Role.COMPLIANCE_OFFICER, email="cleo@example.com")
    opened(
        officer,
        discovered_at=timezone.now() - timedelta(hours=50),
        aware_at=timezone.now() - timedelta(hours=40),
        risk="none",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders() == {"reminded": 1}
    assert sorted(mail.outbox[0].to) == ["carl@example.com", "cleo@example.com"]
