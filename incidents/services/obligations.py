"""Deciding a notice: filed (on time, or late with the reasons), or not required (with the
reason and the person who approved it); and editing its draft.

A decision is final: it is history the regulator may ask for. Not required needs a second
person's approval (someone else who handles incidents). The encryption exemption of GDPR
Art. 34(3)(a) is only open when no affected customer's data was seen in plain text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.callers import user_of
from accounts.selectors import people_holding, person_with_id
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from incidents.actions import INCIDENT_DRAFT_EDITED, INCIDENT_OBLIGATION_DECIDED
from incidents.models import EntryKind, Exemption, Obligation, ObligationStatus, Status
from incidents.permissions import HANDLE_PERMISSION, can_decide_incidents, can_handle_incidents
from incidents.rules import Recipient
from incidents.services.planning import current_set
from incidents.services.timeline import clean_text, entry_add

CHECK_FIELDS = "Check the fields marked."
DECISIONS = (ObligationStatus.FILED, ObligationStatus.NOT_REQUIRED)


def _decidable(obligation: Obligation) -> None:
    if obligation.incident.status == Status.CLOSED:
        raise ServiceError("This incident is closed; its notices are final.")
    if obligation.status != ObligationStatus.PENDING:
        raise ServiceError("This notice has been decided; a decision is final.")
    if not obligation.applies:
        raise ServiceError("The facts no longer call for this notice.")


def _approver(caller: Caller, approver_id: Any, errors: dict[str, list[str]]) -> Any:
    approver = person_with_id(approver_id) if approver_id else None
    if approver is None:
        errors["approver_id"] = ["Name who approved this (another incident handler)."]
        return None
    if approver.pk == caller.user_id:
        errors["approver_id"] = ["Someone else approves a notice found not required."]
        return None
    if not people_holding(HANDLE_PERMISSION).filter(pk=approver.pk).exists():
        errors["approver_id"] = ["The approver must be an active incident handler."]
        return None
    return approver


def obligation_decide(
    *,
    caller: Caller,
    obligation: Obligation,
    decision: str,
    filed_at: datetime | None = None,
    reference: str = "",
    sent_copy: str = "",
    reason: str = "",
    approver_id: Any = None,
    exemption: str = "",
) -> Obligation:
    """Record the decision on one notice (see the module for what each needs)."""
    require(caller, can_decide_incidents(caller), resource=obligation.incident)
    _decidable(obligation)
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    updates: dict[str, Any] = {"decided_at": now, "decided_by": user_of(caller)}
    if decision == ObligationStatus.FILED:
        if filed_at is None:
            errors["filed_at"] = ["When was it sent or filed?"]
        elif filed_at > now:
            errors["filed_at"] = ["Cannot be in the future."]
        if not reference.strip():
            errors["reference"] = ["The filing's reference (case number, message id)."]
        late = filed_at is not None and filed_at > obligation.deadline
        if late and not reason.strip():
            errors["reason"] = [
                "Filed after the deadline: give the reasons for the delay (GDPR Art. 33(1))."
            ]
        updates |= {
            "status": ObligationStatus.LATE if late else ObligationStatus.FILED,
            "filed_at": filed_at,
            "reference": reference.strip()[:120],
            "sent_copy": clean_text(sent_copy or obligation.draft, field="sent_copy", limit=20000),
            "reason": clean_text(reason, field="reason"),
        }
    elif decision == ObligationStatus.NOT_REQUIRED:
        if not reason.strip():
            errors["reason"] = ["Say why this notice is not required."]
        approver = _approver(caller, approver_id, errors)
        if exemption and exemption not in Exemption.values:
            errors["exemption"] = [f"Choose one of: {', '.join(e for e in Exemption.values if e)}."]
        elif exemption == Exemption.ENCRYPTED:
            _check_encryption_exemption(obligation, errors)
        updates |= {
            "status": ObligationStatus.NOT_REQUIRED,
            "reason": clean_text(reason, field="reason"),
            "approver": approver,
            "exemption": exemption,
        }
    else:
        errors["decision"] = [f"Choose one of: {', '.join(DECISIONS)}."]
    if errors:
        raise ServiceError(CHECK_FIELDS, fields=errors)
    with transaction.atomic():
        for name, value in updates.items():
            setattr(obligation, name, value)
        obligation.save(update_fields=list(updates))
        details = {
            "obligation": obligation.pk,
            "rule": obligation.rule,
            "place": obligation.place,
            "decision": obligation.status,
            "reference": obligation.reference,
            "approver": str(obligation.approver_id or ""),
            "exemption": obligation.exemption,
        }
        entry_add(
            obligation.incident,
            caller,
            EntryKind.OBLIGATION,
            f"{obligation}: {obligation.get_status_display()}",
            {k: v for k, v in details.items() if v},
        )
        audit_record(
            actor=caller.actor,
            action=INCIDENT_OBLIGATION_DECIDED,
            target=obligation.incident,
            reason=obligation.reason[:500],
            details=details,
        )
    return obligation


def _check_encryption_exemption(obligation: Obligation, errors: dict[str, list[str]]) -> None:
    if obligation.recipient != Recipient.SUBJECTS:
        errors["exemption"] = ["The encryption exemption applies to notices to people."]
        return
    affected = current_set(obligation.incident)
    if affected is None:
        errors["exemption"] = ["Compute the affected customers first."]
    elif affected.plaintext:
        errors["exemption"] = [
            f"The data of {affected.plaintext} affected customer(s) was seen in plain text: "
            "it was not unintelligible to the intruder."
        ]


def obligation_draft_edit(*, caller: Caller, obligation: Obligation, text: str) -> Obligation:
    """Replace the generated draft with an edited one (no longer regenerated)."""
    require(caller, can_handle_incidents(caller), resource=obligation.incident)
    _decidable(obligation)
    draft = clean_text(text, field="text", required=True, limit=20000)
    with transaction.atomic():
        obligation.draft, obligation.draft_edited = draft, True
        obligation.save(update_fields=["draft", "draft_edited"])
        audit_record(
            actor=caller.actor,
            action=INCIDENT_DRAFT_EDITED,
            target=obligation.incident,
            details={"obligation": obligation.pk, "rule": obligation.rule},
        )
    return obligation
