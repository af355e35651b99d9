"""The customers an incident affected, from the audit log, frozen into the incident.

A query names what was compromised (an actor, an API key, a session, an address range, a
time window). Every allowed event of it that touched a customer counts (audit.exposure);
what it exposed is read from its action: a reveal, or a read that decrypts free text
(notes, interactions), exposed plain text; a masked record, a list page, a search or a
write exposed only masked or encrypted values. The categories come from the fields the
event names. Each customer's region of residence is read from their encrypted address by
customers.selectors (the address never reaches the incident); counts per category and per
region drive the notification thresholds. Computing again adds a set; earlier ones stay.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.selectors import (
    all_teams,
    api_key_with_prefix,
    person_with_id,
    session_with_public_id,
)
from audit.exposure import ExposureQuery, Touch, customer_touches
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.memory import collector_paused
from customers import actions as customer_actions
from customers.fields import FIELDS
from customers.selectors import customer_residences
from incidents.actions import INCIDENT_AFFECTED_COMPUTED
from incidents.models import (
    AffectedCustomer,
    AffectedSet,
    DataCategory,
    EntryKind,
    Exposure,
    Incident,
)
from incidents.permissions import can_compute_affected
from incidents.services.planning import obligations_sync
from incidents.services.timeline import entry_add

PLAINTEXT_ACTIONS = frozenset(
    action.name
    for action in (
        customer_actions.CUSTOMER_REVEALED,
        customer_actions.CUSTOMER_NOTES_VIEWED,
        customer_actions.CUSTOMER_INTERACTIONS_VIEWED,
    )
)
# What an event exposes when it names no fields.
CATEGORIES_SHOWN = {
    customer_actions.CUSTOMER_VIEWED.name: (DataCategory.CONTACT, DataCategory.FINANCIAL),
    customer_actions.CUSTOMER_LISTED.name: (DataCategory.CONTACT,),
    customer_actions.CUSTOMER_SEARCHED.name: (DataCategory.CONTACT,),
    customer_actions.CUSTOMER_NOTES_VIEWED.name: (DataCategory.HISTORY,),
    customer_actions.CUSTOMER_INTERACTIONS_VIEWED.name: (DataCategory.HISTORY,),
    customer_actions.CUSTOMER_NOTE_ADDED.name: (DataCategory.HISTORY,),
    customer_actions.CUSTOMER_INTERACTION_ADDED.name: (DataCategory.HISTORY,),
    customer_actions.CUSTOMERS_IMPORTED.name: (DataCategory.CONTACT,),
}
UNKNOWN_REGION = "unknown"
BULK = 1000


@dataclass
class _Found:
    categories: set[str] = field(default_factory=set)
    plaintext_categories: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    plaintext: bool = False


# Read once, not per touch: an affected set may be built from millions of events.
_FIELD_CATEGORY = {name: spec.category.value for name, spec in FIELDS.items()}
_SHOWN = {name: frozenset(c.value for c in shown) for name, shown in CATEGORIES_SHOWN.items()}
_NOTHING: frozenset[str] = frozenset()


def _categories(touch: Touch) -> set[str] | frozenset[str]:
    if touch.fields:
        return {_FIELD_CATEGORY[name] for name in touch.fields if name in _FIELD_CATEGORY}
    return _SHOWN.get(touch.action, _NOTHING)


def collect(touches: Iterable[Touch]) -> dict[str, _Found]:
    """Customer id → how they were exposed, which categories, by which actions."""
    found: dict[str, _Found] = {}
    with collector_paused():
        for touch in touches:
            _add(found, touch)
    return found


def _add(found: dict[str, _Found], touch: Touch) -> None:
    entry = found.get(touch.customer_id)
    if entry is None:
        entry = found[touch.customer_id] = _Found()
    categories = _categories(touch)
    entry.categories |= categories
    if touch.action in PLAINTEXT_ACTIONS:
        entry.plaintext = True
        entry.plaintext_categories |= categories
    entry.actions.add(touch.action)


def counts_of(found: Mapping[str, _Found], regions: Mapping[str, str]) -> dict[str, Any]:
    categories: Counter[str] = Counter()
    plaintext_categories: Counter[str] = Counter()
    for entry in found.values():
        categories.update(entry.categories)
        plaintext_categories.update(entry.plaintext_categories)
    by_region = Counter(regions.get(customer_id) or UNKNOWN_REGION for customer_id in found)
    return {
        "categories": dict(sorted(categories.items())),
        "plaintext_categories": dict(sorted(plaintext_categories.items())),
        "regions": dict(sorted(by_region.items())),
    }


# --- The query, from what a person enters ------------------------------------------------


@dataclass(frozen=True)
class Compromised:
    """What a person says was compromised; any combination, at least one."""

    user_id: str = ""
    api_key_prefix: str = ""
    session_id: str = ""
    network: str = ""
    since: datetime | None = None
    until: datetime | None = None


def exposure_query(compromised: Compromised) -> ExposureQuery:
    """The audit query for what was compromised; field errors for what does not exist."""
    errors: dict[str, list[str]] = {}
    actor: tuple[str, str] | None = None
    since, until, network = compromised.since, compromised.until, compromised.network.strip()
    named = [n for n in ("user_id", "api_key_prefix", "session_id") if getattr(compromised, n)]
    if len(named) > 1:
        errors[named[1]] = ["Name one actor: a person, an API key or a session."]
    if compromised.user_id:
        person = person_with_id(compromised.user_id)
        if person is None:
            errors["user_id"] = ["No such account."]
        else:
            actor = ("user", str(person.pk))
    if compromised.api_key_prefix:
        key = api_key_with_prefix(compromised.api_key_prefix.strip())
        if key is None:
            errors["api_key_prefix"] = ["No API key has this prefix."]
        else:
            actor = ("api_key", key.prefix)
    if compromised.session_id:
        session = session_with_public_id(compromised.session_id.strip())
        if session is None:
            errors["session_id"] = ["No live session has this id (ended ones: name the person)."]
        else:
            actor = ("user", str(session.user_id))
            since = max(since or session.created_at, session.created_at)
            network = network or (f"{session.ip}" if session.ip else "")
    if since and until and since >= until:
        errors["until"] = ["Must be after since."]
    if network:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            errors["network"] = ["An address or range such as 203.0.113.0/24."]
    if not (errors or actor or network or since or until):
        errors["query"] = ["Name an actor, an address range or a time window."]
    if errors:
        raise ServiceError("Check the fields marked.", fields=errors)
    return ExposureQuery(actor=actor, network=network, since=since, until=until)


# --- Computing and freezing ----------------------------------------------------------------


def affected_compute(
    *, caller: Caller, incident: Incident, query: ExposureQuery, requested_by: str = ""
) -> AffectedSet:
    """Run the query, read the regions, freeze the set with its counts, derive the notices
    again. The system runs it in a job for whoever asked (`requested_by`, audited)."""
    require(caller, can_compute_affected(caller), resource=incident)
    found = collect(customer_touches(query))
    regions = customer_residences(caller, found) if found else {}
    counts = counts_of(found, {k: v.region for k, v in regions.items()})
    plaintext = sum(1 for entry in found.values() if entry.plaintext)
    team_ids = {v.team_id for v in regions.values()}
    with transaction.atomic():
        affected = AffectedSet.objects.create(
            incident=incident,
            computed_by=requested_by or str(caller.actor),
            query=query.as_details(),
            total=len(found),
            plaintext=plaintext,
            counts=counts,
        )
        AffectedCustomer.objects.bulk_create(
            (
                AffectedCustomer(
                    affected_set=affected,
                    customer_id=customer_id,
                    exposure=Exposure.PLAINTEXT if entry.plaintext else Exposure.CIPHERTEXT,
                    categories=sorted(entry.categories),
                    plaintext_categories=sorted(entry.plaintext_categories),
                    actions=sorted(entry.actions),
                    region=regions[customer_id].region if customer_id in regions else "",
                )
                for customer_id, entry in found.items()
            ),
            batch_size=BULK,
        )
        summary = {"total": len(found), "plaintext": plaintext, **counts}
        new_teams = team_ids - set(incident.affected_teams.values_list("pk", flat=True))
        if new_teams:
            incident.affected_teams.add(*all_teams().filter(pk__in=new_teams))
        entry_add(
            incident,
            caller,
            EntryKind.AFFECTED,
            f"{len(found)} customers affected, {plaintext} of them in plain text",
            {
                "set": affected.pk,
                "query": query.as_details(),
                "requested_by": requested_by,
                "teams_added": sorted(map(str, new_teams)),
                **summary,
            },
        )
        audit_record(
            actor=caller.actor,
            action=INCIDENT_AFFECTED_COMPUTED,
            target=incident,
            details={
                "set": affected.pk,
                "query": query.as_details(),
                "requested_by": requested_by,
                **summary,
            },
        )
        obligations_sync(caller=caller, incident=incident)
    return affected
