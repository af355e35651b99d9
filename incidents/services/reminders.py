"""Reminders of the notices' clocks: at 50 %, 80 % and 100 % of the time to the deadline,
and once more when it was missed (a day after it, still undecided).

The scheduled task (incidents.tasks.send_reminders) calls `reminders_send`: each mark is
sent once per clock (recorded on the obligation; a moved clock starts over), by email to
every incident handler, on the timeline and in the audit log. When the task was down, only
the furthest mark reached is sent; the earlier ones are recorded as passed.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.selectors import people_holding
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.deadlines import Deadline, elapsed_share
from ccplatform.gate import require
from incidents.actions import INCIDENT_REMINDED
from incidents.models import EntryKind, Obligation, ObligationStatus, Status
from incidents.permissions import HANDLE_PERMISSION, can_handle_incidents
from incidents.services.timeline import entry_add

logger = structlog.get_logger(__name__)

REMINDER_JOB = "incident-reminders"
REMINDERS = Caller.system("incident reminders")
MARKS = (("50", 0.5), ("80", 0.8), ("100", 1.0))
MISSED = "missed"
MISSED_AFTER = timedelta(hours=24)


def marks_reached(obligation: Obligation, now: datetime) -> list[str]:
    """The marks of this clock reached at `now` and not yet sent, in order."""
    share = elapsed_share(obligation.starts_at, obligation.deadline, now)
    reached = [name for name, threshold in MARKS if share >= threshold]
    if now >= obligation.deadline + MISSED_AFTER:
        reached.append(MISSED)
    return [mark for mark in reached if mark not in obligation.reminders]


def _message(obligation: Obligation, mark: str) -> tuple[str, str]:
    incident = obligation.incident
    due = Deadline(obligation.deadline, obligation.zone).shown()
    exercise = "[EXERCISE] " if incident.is_exercise else ""
    if mark == MISSED:
        headline = f"MISSED: the notice {obligation} was due {due} and is still undecided"
    elif mark == "100":
        headline = f"DUE NOW: the notice {obligation} is due {due}"
    else:
        headline = f"{mark} % of the time for the notice {obligation} has passed (due {due})"
    subject = f"{exercise}{incident.reference}: {headline}"
    body = (
        f"{headline}.\n\nIncident: {incident.reference} {incident.title}\n"
        f"Rule: {obligation.source}\n\nFile it, or record why it is not required, on the "
        "incident page. A late notice needs the reasons for the delay."
    )
    return subject, body


def _email(subject: str, body: str, recipients: list[str]) -> None:
    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        except (OSError, smtplib.SMTPException):
            # Recorded on the timeline and in the log already; the next mark retries mail.
            logger.warning("incident_reminder_mail_failed", subject=subject)

    if recipients:
        transaction.on_commit(send)


def reminders_send(*, caller: Caller = REMINDERS, now: datetime | None = None) -> int:
    """Send the reminders due at `now`; how many were sent."""
    require(caller, can_handle_incidents(caller), resource=("incidents.obligation", "reminders"))
    now = now or timezone.now()
    recipients = [p.email for p in people_holding(HANDLE_PERMISSION) if p.email]
    pending = (
        Obligation.objects.filter(status=ObligationStatus.PENDING, applies=True)
        .exclude(incident__status=Status.CLOSED)
        .select_related("incident")
        .order_by("deadline", "id")
    )
    sent = 0
    for obligation in pending.iterator(chunk_size=500):
        new = marks_reached(obligation, now)
        if not new:
            continue
        mark = new[-1]
        with transaction.atomic():
            obligation.reminders = [*obligation.reminders, *new]
            obligation.save(update_fields=["reminders"])
            subject, body = _message(obligation, mark)
            entry_add(
                obligation.incident,
                caller,
                EntryKind.REMINDER,
                subject,
                {"obligation": obligation.pk, "mark": mark, "passed": new[:-1]},
            )
            audit_record(
                actor=caller.actor,
                action=INCIDENT_REMINDED,
                target=obligation.incident,
                details={
                    "obligation": obligation.pk,
                    "rule": obligation.rule,
                    "mark": mark,
                    "recipients": len(recipients),
                },
            )
            _email(subject, body, recipients)
        sent += 1
    return sent
