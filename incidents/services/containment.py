"""Containment from the incident: disable people, revoke API keys, end a team's sessions,
seal the affected customers (no reveal until released), start a key rotation.

Each is a call of the service that owns the change (accounts, customers, the rotation
task), made by the system for this incident ("incident INC-… containment") on behalf of
the handler who asked: the owner's own audit event names the system and the incident, the
incident's `incident.containment_taken` names the person, and the timeline lists both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from accounts.selectors import (
    Team,
    api_key_with_prefix,
    person_with_id,
    team_for,
)
from accounts.services.api_keys import api_key_revoke
from accounts.services.sessions import sessions_end_for_team
from accounts.services.users import user_disable
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.crypto.rotation import Kind, rotation_jobs
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.tasks import rotate_keys
from customers.services.sealing import customers_release, customers_seal
from incidents.actions import INCIDENT_CONTAINMENT
from incidents.models import EntryKind, Exposure, Incident, Status
from incidents.permissions import can_handle_incidents
from incidents.services.planning import current_set
from incidents.services.timeline import clean_text, entry_add


def _acting(caller: Caller, incident: Incident, reason: str) -> tuple[Caller, str]:
    require(caller, can_handle_incidents(caller), resource=incident)
    if incident.status == Status.CLOSED:
        raise ServiceError("This incident is closed.")
    why = clean_text(reason, field="reason", required=True, limit=400)
    return Caller.system(
        f"incident {incident.reference} containment"
    ), f"{incident.reference}: {why}"


def _record(
    caller: Caller, incident: Incident, action: str, text: str, details: dict[str, Any]
) -> None:
    entry_add(incident, caller, EntryKind.CONTAINMENT, text, {"action": action, **details})
    audit_record(
        actor=caller.actor,
        action=INCIDENT_CONTAINMENT,
        target=incident,
        details={"action": action, **details},
    )


def contain_disable_users(
    *, caller: Caller, incident: Incident, user_ids: Sequence[str], reason: str
) -> int:
    """Disable these accounts (their sessions and keys end with them)."""
    system, why = _acting(caller, incident, reason)
    people = [person_with_id(user_id) for user_id in user_ids]
    if not user_ids or None in people:
        raise ServiceError("Choose accounts.", fields={"user_ids": ["Choose existing accounts."]})
    with transaction.atomic():
        for person in people:
            user_disable(caller=system, user=person, reason=why)  # type: ignore[arg-type]
        ids = sorted(str(p.pk) for p in people if p)
        _record(
            caller, incident, "disable_users", f"Disabled {len(ids)} account(s)", {"users": ids}
        )
    return len(ids)


def contain_revoke_keys(
    *, caller: Caller, incident: Incident, prefixes: Sequence[str], reason: str
) -> int:
    """Revoke these API keys (named by their public prefix)."""
    system, why = _acting(caller, incident, reason)
    keys = [api_key_with_prefix(prefix.strip()) for prefix in prefixes]
    if not prefixes or None in keys:
        raise ServiceError("Choose keys.", fields={"prefixes": ["Name existing API keys."]})
    with transaction.atomic():
        for key in keys:
            api_key_revoke(caller=system, key=key, reason=why)  # type: ignore[arg-type]
        named = sorted(k.prefix for k in keys if k)
        _record(
            caller, incident, "revoke_keys", f"Revoked {len(named)} API key(s)", {"keys": named}
        )
    return len(named)


def contain_end_team_sessions(
    *, caller: Caller, incident: Incident, team_id: str, reason: str
) -> int:
    """End every session of one team's members."""
    system, why = _acting(caller, incident, reason)
    team: Team | None = team_for(system, team_id)
    if team is None:
        raise ServiceError("Choose a team.", fields={"team_id": ["Choose an existing team."]})
    with transaction.atomic():
        ended = sessions_end_for_team(caller=system, team=team, reason=why)
        _record(
            caller,
            incident,
            "end_team_sessions",
            f"Ended {ended} session(s) of {team.name}",
            {"team": str(team.pk), "sessions_ended": ended},
        )
    return ended


def contain_seal_customers(
    *,
    caller: Caller,
    incident: Incident,
    reason: str,
    plaintext_only: bool = False,
    release: bool = False,
) -> int:
    """Seal (or release) the customers of the incident's current affected set: all of them,
    or those whose data was seen in plain text."""
    system, why = _acting(caller, incident, reason)
    affected = current_set(incident)
    if affected is None:
        raise ServiceError(
            "Compute the affected customers first.", fields={"affected": ["No affected set yet."]}
        )
    customers = affected.customers.all()
    if plaintext_only:
        customers = customers.filter(exposure=Exposure.PLAINTEXT)
    ids = list(customers.values_list("customer_id", flat=True))
    with transaction.atomic():
        change = customers_release if release else customers_seal
        count = change(caller=system, customer_ids=ids, why=f"incident {incident.reference}")
        action = "release_customers" if release else "seal_customers"
        verb = "Released" if release else "Sealed"
        _record(
            caller,
            incident,
            action,
            f"{verb} {count} customer(s) of affected set {affected.pk}",
            {"set": affected.pk, "customers": count, "plaintext_only": plaintext_only, "why": why},
        )
    return count


def contain_rotate_keys(*, caller: Caller, incident: Incident, ring: str, reason: str) -> list[str]:
    """Start the rotation jobs of a key ring in the worker: everything encrypted (or
    indexed) under an older version moves to the active one. If the active key itself is
    compromised, add a version first (README, "Key rotation")."""
    _acting(caller, incident, reason)
    try:
        kind = Kind(ring)
    except ValueError:
        raise ServiceError(
            "Choose a key ring.", fields={"ring": [f"One of: {', '.join(Kind)}."]}
        ) from None
    jobs = [job.name for job in rotation_jobs(kind)]
    with transaction.atomic():
        _record(
            caller, incident, "rotate_keys", f"Started rotation of the {kind} ring", {"jobs": jobs}
        )
        for job in jobs:
            transaction.on_commit(lambda job=job: rotate_keys.delay(job=job))  # type: ignore[misc]
    return jobs
