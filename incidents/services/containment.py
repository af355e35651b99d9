"""Containment from the incident: disable people, revoke API keys, end a team's sessions,
seal the affected customers (no reveal until released), start a key rotation.

Each is a call of the service that owns the change (accounts, customers, the rotation
task), made by the system for this incident ("incident INC-… containment") on behalf of
the handler who asked: the owner's own audit event names the system and the incident, the
incident's `incident.containment_taken` (and its timeline entry) names the person.

The owners' safeguards hold here too: nobody disables their own account, nor the last
active security admin. Releasing lifts only the seals this incident placed. An exercise
checks everything as for real and records what it would have done, changing nothing.
`contain` is the one dispatcher the page and the API call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.selectors import (
    api_key_with_prefix,
    is_last_security_admin,
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
from incidents.models import AffectedCustomer, EntryKind, Exposure, Incident, Status
from incidents.permissions import can_handle_incidents
from incidents.services.planning import current_set
from incidents.services.timeline import clean_text, entry_add

ACTIONS = (
    "disable_users",
    "revoke_keys",
    "end_team_sessions",
    "seal_customers",
    "release_customers",
    "rotate_keys",
)


@dataclass(frozen=True)
class Acting:
    """Who acts for the incident, the reason the owners' events carry, and whether this is
    an exercise (checked, recorded, not carried out)."""

    system: Caller
    why: str
    simulated: bool


def _acting(caller: Caller, incident: Incident, reason: str) -> Acting:
    require(caller, can_handle_incidents(caller), resource=incident)
    if incident.status == Status.CLOSED:
        raise ServiceError("This incident is closed.")
    why = clean_text(reason, field="reason", required=True, limit=400)
    system = Caller.system(f"incident {incident.reference} containment")
    return Acting(system, f"{incident.reference}: {why}", incident.is_exercise)


def _record(
    caller: Caller,
    incident: Incident,
    acting: Acting,
    action: str,
    text: str,
    details: dict[str, Any],
) -> None:
    if acting.simulated:
        text = f"Exercise, nothing changed — would have: {text[0].lower()}{text[1:]}"
    details = {"action": action, **details, **({"simulated": True} if acting.simulated else {})}
    entry_add(incident, caller, EntryKind.CONTAINMENT, text, details)
    audit_record(actor=caller.actor, action=INCIDENT_CONTAINMENT, target=incident, details=details)


def _bad(field: str, message: str, summary: str) -> ServiceError:
    return ServiceError(summary, fields={field: [message]})


def contain_disable_users(
    *, caller: Caller, incident: Incident, user_ids: Sequence[str], reason: str
) -> int:
    """Disable these accounts (their sessions and keys end with them); how many."""
    acting = _acting(caller, incident, reason)
    found = [person_with_id(user_id) for user_id in user_ids]
    people = [person for person in found if person is not None]
    if not user_ids or len(people) != len(found):
        raise _bad("user_ids", "Choose existing accounts.", "Choose accounts.")
    if any(person.pk == caller.user_id for person in people):
        raise _bad(
            "user_ids",
            "Your own account is among them.",
            "You cannot disable your own account from an incident; ask a security admin.",
        )
    if any(is_last_security_admin(person) for person in people):
        raise _bad(
            "user_ids",
            "The last active security admin is among them.",
            "Disabling the last active security admin would leave nobody to manage accounts: "
            "have another made first, or end the admin's sessions instead.",
        )
    active = [person for person in people if person.is_active]
    already = sorted(str(person.pk) for person in people if not person.is_active)
    with transaction.atomic():
        if not acting.simulated:
            for person in active:
                user_disable(caller=acting.system, user=person, reason=acting.why)
        ids = sorted(str(person.pk) for person in active)
        text = f"Disabled {len(ids)} account(s)" + (
            f"; {len(already)} already disabled" if already else ""
        )
        _record(
            caller,
            incident,
            acting,
            "disable_users",
            text,
            {"users": ids, "already_disabled": already},
        )
    return len(ids)


def contain_revoke_keys(
    *, caller: Caller, incident: Incident, prefixes: Sequence[str], reason: str
) -> int:
    """Revoke these API keys (named by their public prefix); how many."""
    acting = _acting(caller, incident, reason)
    found = [api_key_with_prefix(prefix.strip()) for prefix in prefixes]
    keys = [key for key in found if key is not None]
    if not prefixes or len(keys) != len(found):
        raise _bad("prefixes", "Name existing API keys.", "Choose keys.")
    live = [key for key in keys if not key.revoked]
    already = sorted(key.prefix for key in keys if key.revoked)
    with transaction.atomic():
        if not acting.simulated:
            for key in live:
                api_key_revoke(caller=acting.system, key=key, reason=acting.why)
        named = sorted(key.prefix for key in live)
        text = f"Revoked {len(named)} API key(s)" + (
            f"; {len(already)} already revoked" if already else ""
        )
        _record(
            caller,
            incident,
            acting,
            "revoke_keys",
            text,
            {"keys": named, "already_revoked": already},
        )
    return len(named)


def contain_end_team_sessions(
    *, caller: Caller, incident: Incident, team_id: str, reason: str
) -> int:
    """End every session of one team's members; how many ended."""
    acting = _acting(caller, incident, reason)
    team = team_for(acting.system, team_id)
    if team is None:
        raise _bad("team_id", "Choose an existing team.", "Choose a team.")
    with transaction.atomic():
        ended = 0
        if not acting.simulated:
            ended = sessions_end_for_team(caller=acting.system, team=team, reason=acting.why)
        _record(
            caller,
            incident,
            acting,
            "end_team_sessions",
            f"Ended {ended} session(s) of {team.name}" if not acting.simulated else
            f"Ended the sessions of {team.name}",
            {"team": str(team.pk), "sessions_ended": ended},
        )  # fmt: skip
    return ended


def _seal_owner(incident: Incident) -> str:
    return f"incident {incident.reference}"


def contain_seal_customers(
    *,
    caller: Caller,
    incident: Incident,
    reason: str,
    plaintext_only: bool = False,
    release: bool = False,
) -> int:
    """Seal the customers of the incident's current affected set (all, or those seen in
    plain text); or release those this incident sealed, in any of its sets (a seal placed
    for another reason, or by another incident, stays). How many changed."""
    acting = _acting(caller, incident, reason)
    affected = current_set(incident)
    if affected is None:
        raise _bad("affected", "No affected set yet.", "Compute the affected customers first.")
    if release:
        customers = AffectedCustomer.objects.filter(affected_set__incident=incident)
    else:
        customers = affected.customers.all()
    if plaintext_only:
        customers = customers.filter(exposure=Exposure.PLAINTEXT)
    ids = sorted({str(value) for value in customers.values_list("customer_id", flat=True)})
    owner = _seal_owner(incident)
    with transaction.atomic():
        count = len(ids)
        if not acting.simulated and release:
            count = customers_release(
                caller=acting.system, customer_ids=ids, why=owner, only_sealed_by=owner
            )
        elif not acting.simulated:
            count = customers_seal(caller=acting.system, customer_ids=ids, why=owner)
        verb = "Released" if release else "Sealed"
        _record(
            caller,
            incident,
            acting,
            "release_customers" if release else "seal_customers",
            f"{verb} {count} customer(s)" + ("" if release else f" of affected set {affected.pk}"),
            {"set": affected.pk, "customers": count, "plaintext_only": plaintext_only},
        )
    return count


def contain_rotate_keys(*, caller: Caller, incident: Incident, ring: str, reason: str) -> list[str]:
    """Start the rotation jobs of a key ring in the worker: everything encrypted (or
    indexed) under an older version moves to the active one. If the active key itself is
    compromised, add a version first (README, "Key rotation")."""
    acting = _acting(caller, incident, reason)
    try:
        kind = Kind(ring)
    except ValueError:
        raise _bad("ring", f"One of: {', '.join(Kind)}.", "Choose a key ring.") from None
    jobs = [job.name for job in rotation_jobs(kind)]
    with transaction.atomic():
        _record(
            caller,
            incident,
            acting,
            "rotate_keys",
            f"Started rotation of the {kind} ring",
            {"jobs": jobs},
        )
        if not acting.simulated:
            for job in jobs:
                transaction.on_commit(lambda job=job: rotate_keys.delay(job=job))  # type: ignore[misc]
    return jobs


@dataclass(frozen=True)
class Contained:
    """What one action changed: how many records, and the jobs it started."""

    count: int
    jobs: tuple[str, ...] = ()


def contain(
    *, caller: Caller, incident: Incident, action: str, fields: Mapping[str, Any]
) -> Contained:
    """One containment action by name, with the fields it reads (the page's and the API's
    one entry point)."""
    reason = str(fields.get("reason", ""))
    calls: dict[str, Callable[[], int | list[str]]] = {
        "disable_users": lambda: contain_disable_users(
            caller=caller, incident=incident, reason=reason,
            user_ids=[str(user_id) for user_id in fields.get("user_ids") or []],
        ),
        "revoke_keys": lambda: contain_revoke_keys(
            caller=caller, incident=incident, prefixes=fields.get("prefixes") or [], reason=reason
        ),
        "end_team_sessions": lambda: contain_end_team_sessions(
            caller=caller, incident=incident, team_id=str(fields.get("team_id") or ""),
            reason=reason,
        ),
        "seal_customers": lambda: contain_seal_customers(
            caller=caller, incident=incident, reason=reason,
            plaintext_only=bool(fields.get("plaintext_only")),
        ),
        "release_customers": lambda: contain_seal_customers(
            caller=caller, incident=incident, reason=reason,
            plaintext_only=bool(fields.get("plaintext_only")), release=True,
        ),
        "rotate_keys": lambda: contain_rotate_keys(
            caller=caller, incident=incident, ring=str(fields.get("ring") or ""), reason=reason
        ),
    }  # fmt: skip
    if action not in calls:
        raise _bad("action", f"One of: {', '.join(ACTIONS)}.", "Choose a containment action.")
    done = calls[action]()
    if isinstance(done, list):
        return Contained(len(done), tuple(done))
    return Contained(done)
