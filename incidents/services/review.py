"""The post-incident review: cause, measures, lessons, follow-up actions with owners and
due dates, and the affected-customer query run again after containment.

Written once the incident is recovered, before it closes; it is part of the breach record
(kept six years, HIPAA 164.316(b)(2)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.callers import user_of
from accounts.selectors import person_with_id
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from incidents.actions import INCIDENT_REVIEWED
from incidents.models import EntryKind, FollowUp, Incident, Review, Status
from incidents.permissions import can_decide_incidents
from incidents.services.planning import current_set
from incidents.services.timeline import clean_text, entry_add


@dataclass(frozen=True)
class FollowUpAction:
    action: str
    owner_id: str
    due_on: date | None


def review_write(
    *,
    caller: Caller,
    incident: Incident,
    cause: str,
    measures: str,
    lessons: str,
    follow_ups: Sequence[FollowUpAction],
) -> Review:
    """Write the review. Needs the incident recovered, an affected set computed after it was
    contained (the re-run), and at least one follow-up action."""
    require(caller, can_decide_incidents(caller), resource=incident)
    errors: dict[str, list[str]] = {}
    if incident.status != Status.RECOVERED:
        errors["status"] = ["The review is written once the incident is recovered."]
    if hasattr(incident, "review"):
        errors["review"] = ["This incident has its review."]
    rerun = current_set(incident)
    if rerun is None or incident.contained_at is None or rerun.computed_at < incident.contained_at:
        errors["rerun"] = [
            "Compute the affected customers again after containment: the review compares."
        ]
    texts = {}
    for name, value in (("cause", cause), ("measures", measures), ("lessons", lessons)):
        try:
            texts[name] = clean_text(value, field=name, required=True)
        except ServiceError as error:
            errors.update(error.fields)
    actions: list[tuple[str, Any, date]] = []
    for index, item in enumerate(follow_ups):
        owner = person_with_id(item.owner_id) if item.owner_id else None
        problems = []
        if not item.action.strip():
            problems.append("what is to be done")
        if owner is None or not owner.is_active:
            problems.append("an active owner")
        if item.due_on is None or item.due_on < timezone.localdate():
            problems.append("a due date from today on")
        if problems or item.due_on is None:
            errors[f"follow_ups.{index}"] = [f"Needs {', '.join(problems)}."]
        else:
            actions.append((item.action.strip()[:300], owner, item.due_on))
    if not follow_ups:
        errors["follow_ups"] = ["Name at least one follow-up action, its owner and due date."]
    if errors or rerun is None:
        raise ServiceError("Check the fields marked.", fields=errors)
    with transaction.atomic():
        review = Review.objects.create(
            incident=incident, rerun=rerun, written_by=user_of(caller), **texts
        )
        FollowUp.objects.bulk_create(
            FollowUp(review=review, action=action, owner=owner, due_on=due)
            for action, owner, due in actions
        )
        entry_add(
            incident,
            caller,
            EntryKind.REVIEW,
            "Post-incident review written",
            {"follow_ups": len(actions), "rerun": rerun.pk, "rerun_total": rerun.total},
        )
        audit_record(
            actor=caller.actor,
            action=INCIDENT_REVIEWED,
            target=incident,
            details={"follow_ups": len(actions), "rerun": rerun.pk},
        )
    return review
