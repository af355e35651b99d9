"""The machinery of the audit completeness catalogue, and the helpers its entries share.

Every service that writes or reads personal or security data is an entry: it prepares its
preconditions in a `World` (people, a team, one customer) and returns a call that runs the
service once; tests/audit/test_completeness.py runs it in a request context, checks the
events, and fails on a public service function that is neither catalogued nor in its
allow-list. `actions` are the events one call must write, in order: exactly one is the rule,
and an entry with none or several says why. Entries are dense, one `entry(...)` each, so the
list reads as a table; they live in the catalogue modules, each registering its entries when
imported: catalogue_accounts (users, teams, API keys, second factors, passwords, sessions),
catalogue_customers (records, reveals, searches, selectors, notes, import, rescan),
catalogue_signin (sign-in and sign-out), catalogue_audit (key rotation and the audit
log's own writes and reads), catalogue_incidents (the breach register, steps, notices,
reminders, clients) and catalogue_incident_response (affected customers, containment, the
review, and the accounts and customers services they call).

Services take the `Caller` (`caller=`); an `Expect` names whom the log must name (a Caller
or an Actor). A refusal by an access rule is one `access.denied` event of one shape, so the
refused entries also say which rule refused, why, and on what (`denial`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.utils import timezone
from django_otp.oath import totp
from pytest_django import Settings

from accounts.models import AuthenticatorDevice, Role, Team, User
from accounts.services import mfa, users
from audit.services import AuditTarget
from ccplatform.callers import Caller, Via
from ccplatform.context import Actor
from customers.models import Customer
from tests.personas import PASSWORD, as_caller

SYSTEM = Caller.system("catalogue", via=Via.COMMAND)


@dataclass(frozen=True)
class Expect:
    """One event that must have been written: by whom, about what, with which outcome, and
    (when given) exactly which details."""

    who: Actor | Caller
    target: models.Model | AuditTarget | None
    outcome: str = "allowed"
    details: Mapping[str, Any] | None = None

    @property
    def actor(self) -> Actor:
        return self.who.actor if isinstance(self.who, Caller) else self.who


Expected = Expect | tuple[Expect, ...]
Call = Callable[[], Expected]


@dataclass
class World:
    """What every entry starts from; made (and audited) before the events are counted."""

    team: Team
    agent: User
    other_agent: User
    supervisor: User
    security_admin: User
    compliance_officer: User
    service_account: User
    customer: Customer
    settings: Settings
    tmp_path: Path
    contexts: ExitStack = field(default_factory=ExitStack)

    @staticmethod
    def as_user(user: User) -> Caller:
        """The person's caller, as their requests through the pages have it."""
        return as_caller(user)

    @property
    def admin(self) -> Caller:
        return as_caller(self.security_admin)


@dataclass(frozen=True)
class Case:
    id: str
    services: tuple[Callable[..., Any], ...]  # the public functions this entry covers
    actions: tuple[str, ...]
    prepare: Callable[[World], Call]
    why: str = ""
    xfail: str = ""  # a known bug in code this suite does not own (strict: a fix shows)


CATALOGUE: list[Case] = []


def entry(
    name: str, services: Callable[..., Any] | tuple[Callable[..., Any], ...],
    actions: str | tuple[str, ...], prepare: Callable[[World], Call], *, why: str = "",
    xfail: str = "",
) -> None:  # fmt: skip
    covered = services if isinstance(services, tuple) else (services,)
    wanted = (actions,) if isinstance(actions, str) else actions
    CATALOGUE.append(Case(name, covered, wanted, prepare, why, xfail))


def then(run: Callable[[], object], expected: Expected) -> Expected:
    """Run the service, then say what it must have recorded."""
    run()
    return expected


def after(prepare: Callable[[], object], call: Call) -> Call:
    """Prepare the preconditions now (before events are counted); the call runs later."""
    prepare()
    return call


def raises(error: type[Exception], run: Callable[[], object], expected: Expected) -> Expected:
    """Run a service that must refuse with `error`, then say what it must have recorded."""
    with pytest.raises(error):
        run()
    return expected


def denial(
    who: Caller, target: models.Model | AuditTarget, *, rule: str, why: str, resource: str = ""
) -> Expect:
    """The one `access.denied` event of a refusal by `rule` (resource: the target's label)."""
    if not resource:
        resource = (
            f"{target.type}:{target.id}"
            if isinstance(target, AuditTarget)
            else f"{target._meta.label_lower}:{target.pk}"
        )
    details = {"rule": rule, "via": str(who.via), "resource": resource, "why": why}
    return Expect(who, target, "denied", details)


def new_person(w: World) -> User:
    """A person with no second factor yet (every persona already has one)."""
    return users.user_create(caller=w.admin, username="new.hire", role=Role.AGENT,
                             password=PASSWORD)  # fmt: skip


def enrolling(w: World) -> tuple[User, AuthenticatorDevice]:
    person = new_person(w)
    return person, mfa.mfa_enrolment_device(user=person)


def device_code(device: AuthenticatorDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def locked(user: User) -> User:
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + dt.timedelta(hours=1))
    user.refresh_from_db(fields=["locked_until"])
    return user


def by(user: User) -> Expect:
    """The person acted on their own account."""
    return Expect(Actor.user(user.pk), user)
