"""Every service that writes or reads personal or security data, and the audit events it owes.

Each entry prepares its preconditions in a `World` (people, a team, one customer) and returns
a call that runs the service once; tests/audit/test_completeness.py runs it in a request
context, checks the events, and fails on a public service function that is neither here nor
in its allow-list. `actions` are the events one call must write, in order: exactly one is the
rule, and an entry with none or several says why. Entries are dense, one `entry(...)` each,
so the list reads as a table; the sign-in, platform and audit entries are in that module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.utils import timezone
from django_otp.oath import totp
from pytest_django import Settings

from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User, UserSession
from accounts.services import api_keys, mfa, passwords, sessions, teams, users
from audit.services import AuditTarget
from ccplatform.context import Actor
from ccplatform.errors import ServiceError
from ccplatform.redaction import redact_card_data
from customers.models import Customer, Note
from customers.services import access_log, importing, notes, records, rescan, search
from tests.personas import PASSWORD

NEW_PASSWORD = "an entirely fresh passphrase for the catalogue"
CARD_NOTE = "Paid with 4111 1111 1111 1111 cvv 123"
IMPORT = ['{"name": "Imre Catalogue", "phones": ["+1 555 010 2233"]}'] * 3
SYSTEM = Actor.system("catalogue")


@dataclass(frozen=True)
class Expect:
    """One event that must have been written: by whom, about what, with which outcome."""

    actor: Actor
    target: models.Model | AuditTarget | None
    outcome: str = "allowed"


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
    def as_user(user: User) -> Actor:
        return Actor.user(user.pk)

    @property
    def admin(self) -> Actor:
        return Actor.user(self.security_admin.pk)


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


def key_target(key: ServiceAPIKey) -> AuditTarget:
    return AuditTarget("accounts.serviceapikey", key.prefix)


def long_ago(user: User) -> None:
    past = timezone.now() - dt.timedelta(days=200)
    User.objects.filter(pk=user.pk).update(last_login=past, active_since=past)


def new_person(w: World) -> User:
    """A person with no second factor yet (every persona already has one)."""
    return users.user_create(actor=w.admin, username="new.hire", role=Role.AGENT, password=PASSWORD)


def enrolling(w: World) -> tuple[User, AuthenticatorDevice]:
    person = new_person(w)
    return person, mfa.mfa_enrolment_device(user=person)


def device_code(device: AuthenticatorDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def session_of(user: User) -> UserSession:
    return UserSession.objects.create(
        session_key="catalogue-session-key-0123456789ab", session_data="", user=user,
        expire_date=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip


def locked(user: User) -> User:
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + dt.timedelta(hours=1))
    return user


def by(user: User) -> Expect:
    """The person acted on their own account."""
    return Expect(Actor.user(user.pk), user)


# --- accounts: users and teams ---------------------------------------------------------------

# fmt: off
entry("user_create", users.user_create, "user.created",
      lambda w: lambda: Expect(w.admin, users.user_create(
    actor=w.admin, username="new.person", role=Role.AGENT, password=PASSWORD, teams=[w.team])))
entry("user_set_role", users.user_set_role, "user.role_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_role(actor=w.admin, user=w.agent, role=Role.SUPERVISOR, reason="up")))
entry("user_set_teams", users.user_set_teams, "user.teams_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_teams(actor=w.admin, user=w.agent, teams=[Team.objects.create(
        name="Night desk")])))
entry("user_disable", users.user_disable, "user.disabled", lambda w: lambda: Expect(
    w.admin, users.user_disable(actor=w.admin, user=w.agent, reason="left")))
entry("user_enable", users.user_enable, "user.enabled", lambda w: after(
    lambda: users.user_disable(actor=w.admin, user=w.agent, reason="leave"),
    lambda: Expect(w.admin, users.user_enable(actor=w.admin, user=w.agent, reason="back"))))
entry("user_unlock", users.user_unlock, "user.unlocked", lambda w: lambda: Expect(
    w.admin, users.user_unlock(actor=w.admin, user=locked(w.agent), reason="called in")))
entry("users_disable_dormant", users.users_disable_dormant, "user.disabled", lambda w: after(
    lambda: long_ago(w.agent), lambda: then(lambda: users.users_disable_dormant(inactive_days=90),
                                    Expect(Actor.system("dormant-accounts"), w.agent))),
      why="One user.disabled per dormant account; exactly one account is dormant here.")
entry("team_create", teams.team_create, "team.created", lambda w: lambda: Expect(
    w.admin, teams.team_create(actor=w.admin, name="Escalations")))
entry("team_rename", teams.team_rename, "team.renamed", lambda w: lambda: Expect(
    w.admin, teams.team_rename(actor=w.admin, team=w.team, name="Retention")))

# --- accounts: API keys --------------------------------------------------------------------------
entry("api_key_create", api_keys.api_key_create, "api_key.created", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_create(
        actor=w.admin, user=w.service_account, name="CRM", scopes=["customers:read"],
        expires_at=None)[0])))
entry("api_key_revoke", api_keys.api_key_revoke, "api_key.revoked", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_revoke(
        actor=w.admin, key=ServiceAPIKey.objects.get(user=w.service_account), reason="leaked"))))
entry("api_key_use_denied", api_keys.api_key_use_denied, "api_key.denied",
      lambda w: lambda: then(lambda:
    api_keys.api_key_use_denied(prefix="AbCdEfGh", why="revoked"),
    Expect(Actor.api_key("AbCdEfGh"), AuditTarget("accounts.serviceapikey", "AbCdEfGh"), "denied")))

# --- accounts: second factors ------------------------------------------------------------------
entry("mfa_enrolment_device", mfa.mfa_enrolment_device, "mfa.enrolment_started",
      lambda w: (lambda person: lambda: then(
          lambda: mfa.mfa_enrolment_device(user=person), by(person)))(new_person(w)))
entry("mfa_enrolment_device_again", mfa.mfa_enrolment_device, (),
      lambda w: (lambda made: lambda: then(
          lambda: mfa.mfa_enrolment_device(user=made[0]), by(made[0])))(enrolling(w)),
      why="The device is already being set up: handing it back again changes nothing.")
entry("mfa_enrolment_confirm", mfa.mfa_enrolment_confirm, "mfa.enrolled",
      lambda w: (lambda made: lambda: then(
          lambda: mfa.mfa_enrolment_confirm(user=made[0], code=device_code(made[1])),
          by(made[0])))(enrolling(w)))
entry("mfa_enrolment_confirm_wrong_code", mfa.mfa_enrolment_confirm, (), lambda w: (
    lambda made: lambda: then(lambda: mfa.mfa_enrolment_confirm(user=made[0], code="1234567x"),
                              by(made[0])))(enrolling(w)),
      why="A wrong code changes nothing here; the enrolment page records it through "
          "signin_enrolment_failed (its own entry), which also counts it towards the lockout.")
entry("mfa_recovery_codes_regenerate", mfa.mfa_recovery_codes_regenerate,
      "mfa.recovery_codes_regenerated", lambda w: lambda: then(lambda:
          mfa.mfa_recovery_codes_regenerate(user=w.agent), by(w.agent)))
entry("mfa_reset", mfa.mfa_reset, "mfa.reset", lambda w: lambda: then(lambda:
    mfa.mfa_reset(actor=w.admin, user=w.agent, reason="lost phone"), Expect(w.admin, w.agent)))

# --- accounts: passwords and sessions ----------------------------------------------------------
entry("password_change_check", passwords.password_change_check, "password.change_refused",
      lambda w: lambda: raises(ServiceError, lambda: passwords.password_change_check(
          user=w.agent, current_password="wrong " * 4, new_password=NEW_PASSWORD),
          Expect(w.as_user(w.agent), w.agent, "failed")))
entry("password_record", passwords.password_record, (), lambda w: lambda: then(lambda:
    passwords.password_record(w.agent), by(w.agent)),
      why="A step of user_create, password_change and password_reset_complete (the history "
          "row for reuse checks), which record the event in the same transaction.")
entry("password_change", passwords.password_change, "password.changed",
      lambda w: lambda: then(lambda:
    passwords.password_change(user=w.agent, current_password=PASSWORD,
                              new_password=NEW_PASSWORD, keep_session_key=None), by(w.agent)))
entry("password_reset_complete", passwords.password_reset_complete, "password.reset_completed",
      lambda w: lambda: then(lambda: passwords.password_reset_complete(
          user=w.agent, new_password=NEW_PASSWORD), by(w.agent)))
entry("password_reset_request", passwords.password_reset_request, "password.reset_requested",
      lambda w: lambda: then(lambda: passwords.password_reset_request(user=w.agent), by(w.agent)))
entry("password_reset_request_unknown", passwords.password_reset_request, (),
      lambda w: lambda: then(lambda: passwords.password_reset_request(user=None),
                             Expect(SYSTEM, None)),
      why="No such account: nobody to record it about, and the typed address is personal "
          "data that must not be stored (the page answers the same either way).")
entry("session_end_others", sessions.session_end_others, "session.others_ended",
      lambda w: after(lambda: session_of(w.agent), lambda: then(lambda:
          sessions.session_end_others(user=w.agent, keep_session_key="current"), by(w.agent))))
entry("session_end", sessions.session_end, "session.revoked", lambda w: (
    lambda public_id: lambda: then(lambda: sessions.session_end(user=w.agent, session_id=public_id),
                                   by(w.agent)))(sessions.session_public_id(session_of(w.agent))))
entry("session_end_unknown", sessions.session_end, "session.revoke_refused",
      lambda w: lambda: raises(
          ServiceError, lambda: sessions.session_end(user=w.agent, session_id="0" * 16),
          Expect(w.as_user(w.agent), w.agent, "denied")))

# --- customers: records, reveal, search ------------------------------------------------------
entry("customer_create", records.customer_create, "customer.created", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_create(actor=w.as_user(w.agent), team=w.team,
                                                values={"name": "Orla Catalogue"})))
entry("customer_update", records.customer_update, "customer.updated", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_update(actor=w.as_user(w.agent), customer=w.customer,
                                                values={"emails": ["o.c@example.org"]})))
entry("customer_update_medical_refused", records.customer_update, (), lambda w: lambda: raises(
    ServiceError, lambda: records.customer_update(actor=w.as_user(w.agent), customer=w.customer,
                                                  values={"medical_notes": "x"}), by(w.agent)),
      why="Refused like invalid input, before anything is read or written; callers offer "
          "medical fields only to people with the medical permission.")
entry("customer_build", records.customer_build, (),
      lambda w: lambda: then(lambda: records.customer_build(
    team=w.team, values={"name": "Unsaved Person"}), by(w.agent)),
      why="A step of customer_create and the import: its data key row is kept only when their "
          "audited transaction commits.")
entry("customer_masked", records.customer_masked, (), lambda w: lambda: then(lambda:
    records.customer_masked(w.customer, include_medical=True), by(w.agent)),
      why="Masked values only; its callers record customer.viewed, .listed or .searched.")
entry("customer_viewed", records.customer_viewed, "customer.viewed", lambda w: lambda: then(lambda:
    records.customer_viewed(actor=w.as_user(w.agent), customer=w.customer),
    Expect(w.as_user(w.agent), w.customer)))
entry("customer_reveal", records.customer_reveal, "customer.revealed",
      lambda w: lambda: then(lambda:
    reveal(w, w.supervisor, ["name", "medical_notes"]),
    Expect(w.as_user(w.supervisor), w.customer)))
entry("customer_reveal_over_rate", records.customer_reveal, "customer.reveal_refused",
      lambda w: after(
    lambda: reveal_once(w), lambda: raises(
        records.RevealLimitError, lambda: reveal(w, w.agent, ["name"]),
        Expect(w.as_user(w.agent), w.customer, "denied"))))
entry("customer_reveal_medical_refused", records.customer_reveal, "customer.reveal_denied",
      lambda w: lambda: raises(
          records.RevealPermissionError, lambda: reveal(w, w.agent, ["medical_notes"]),
          Expect(w.as_user(w.agent), w.customer, "denied")))
entry("customers_search", search.customers_search, "customer.searched",
      lambda w: lambda: then(lambda:
    search.customers_search(actor=w.as_user(w.agent), visible=Customer.objects.all(),
                            kind="phone", value="(555) 010-4477"),
    Expect(w.as_user(w.agent), None)))
entry("customers_search_bad_value", search.customers_search, (), lambda w: lambda: raises(
    ServiceError, lambda: search.customers_search(actor=w.as_user(w.agent), kind="phone",
                                                  visible=Customer.objects.all(), value="call me"),
    by(w.agent)), why="Nothing was searched: the value is not a phone number (a 400).")

# --- customers: access log, notes, import, rescan --------------------------------------------
entry("customers_listed", access_log.customers_listed, "customer.listed",
      lambda w: lambda: then(lambda:
    access_log.customers_listed(actor=w.as_user(w.agent), customer_ids=[str(w.customer.pk)],
                                page=1), Expect(w.as_user(w.agent), None)))
entry("customer_history_viewed", access_log.customer_history_viewed, "customer.notes_viewed",
      lambda w: lambda: then(lambda: access_log.customer_history_viewed(
          actor=w.as_user(w.agent), customer=w.customer, part="notes", ids=[]),
          Expect(w.as_user(w.agent), w.customer)))
entry("customer_reveal_denied", access_log.customer_reveal_denied, "customer.reveal_denied",
      lambda w: lambda: then(lambda: access_log.customer_reveal_denied(
          actor=w.as_user(w.agent), customer=w.customer, fields=["medical_notes"], why="medical"),
          Expect(w.as_user(w.agent), w.customer, "denied")))
entry("customer_integrity_failed", access_log.customer_integrity_failed,
      "customer.integrity_failed",
      lambda w: lambda: then(lambda: access_log.customer_integrity_failed(
          actor=w.as_user(w.agent), customer=w.customer, operation="reveal"),
          Expect(w.as_user(w.agent), w.customer, "failed")))
entry("customer_note_add", notes.customer_note_add, "customer.note_added",
      lambda w: lambda: then(lambda:
    note(w, "Prefers email"), Expect(w.as_user(w.agent), w.customer)))
entry("customer_note_add_with_card", notes.customer_note_add,
      ("customer.card_data_redacted", "customer.note_added"), lambda w: lambda: then(lambda:
          note(w, CARD_NOTE), Expect(w.as_user(w.agent), w.customer)),
      why="Card data found in the text is its own security event, besides the note.")
entry("customer_interaction_add", notes.customer_interaction_add, "customer.interaction_added",
      lambda w: lambda: then(lambda: notes.customer_interaction_add(
          actor=w.as_user(w.agent), customer=w.customer, agent=w.agent, channel="call",
          outcome="resolved", summary="Called back"), Expect(w.as_user(w.agent), w.customer)))
entry("card_data_redacted", notes.card_data_redacted, "customer.card_data_redacted",
      lambda w: lambda: then(lambda: notes.card_data_redacted(
          actor=w.as_user(w.agent), customer=w.customer, result=redact_card_data(CARD_NOTE),
          where="note", row_id="n1"), Expect(w.as_user(w.agent), w.customer)))
entry("customer_history", notes.customer_history, (), lambda w: lambda: then(lambda:
    notes.customer_history(w.customer), by(w.agent)),
      why="Decrypts for a page; every caller records customer_history_viewed (its own entry).")
entry("customers_import_batch", importing.customers_import_batch, "customers.imported",
      lambda w: lambda: then(lambda: importing.customers_import_batch(
          actor=SYSTEM, team=w.team, built=importing.customers_build_many(
              team=w.team, rows=importing.rows_from_jsonl(IMPORT))[0], number=1,
          rejected_lines=[]), Expect(SYSTEM, w.team)))
entry("customers_build_many", importing.customers_build_many, (), lambda w: lambda: then(lambda:
    importing.customers_build_many(team=w.team, rows=importing.rows_from_jsonl(IMPORT)),
    Expect(SYSTEM, w.team)), why="Unsaved rows (data keys too); customers_import_batch saves them.")
entry("customers_import", importing.customers_import, ("customers.imported",) * 2,
      lambda w: lambda: then(lambda: importing.customers_import(
          actor=SYSTEM, team=w.team, rows=importing.rows_from_jsonl(IMPORT), batch_size=2),
          Expect(SYSTEM, w.team)), why="One event per saved batch: 3 rows in batches of 2.")
entry("customers_import_rolled_back", importing.customers_import, "customers.import_failed",
      lambda w: lambda: then(lambda: importing.customers_import(
          actor=SYSTEM, team=w.team, rows=importing.rows_from_jsonl([*IMPORT, "{}"]),
          all_or_nothing=True), Expect(SYSTEM, w.team, "failed")))
entry("notes_rescan", rescan.notes_rescan, "customers.notes_rescanned", lambda w: after(
    lambda: Note.objects.filter(pk=note(w, "old").pk).update(scanned_version=0),
    lambda: then(lambda: rescan.notes_rescan(actor=SYSTEM), Expect(SYSTEM, None))),
      why="One event per batch of each kind of text; here one batch of notes, no interactions.")
entry("notes_rescan_integrity_failed", rescan.notes_rescan,
      ("customer.integrity_failed", "customers.notes_rescanned"), lambda w: after(
          lambda: moved_note(w), lambda: then(lambda: rescan.notes_rescan(actor=SYSTEM), (
              Expect(SYSTEM, w.customer, "failed"), Expect(SYSTEM, None)))),
      why="A stored text that fails its check is recorded on its own, then the batch.")
# fmt: on


def reveal(w: World, user: User, fields: list[str]) -> dict[str, Any]:
    return records.customer_reveal(
        actor=w.as_user(user), customer=w.customer, fields=fields, reason="caller asked",
        medical_allowed=user.has_perm("customers.view_medical"),
    )  # fmt: skip


def reveal_once(w: World) -> None:
    """One reveal allowed per hour, and used."""
    w.settings.REVEAL_RATE = "1/hour"
    reveal(w, w.agent, ["name"])


def note(w: World, body: str) -> Note:
    return notes.customer_note_add(
        actor=w.as_user(w.agent), customer=w.customer, author=w.agent, body=body
    )


def moved_note(w: World) -> None:
    """One note whose ciphertext was moved from another: it fails its integrity check."""
    first, second = note(w, "first"), note(w, "second")
    Note.objects.filter(pk=second.pk).update(body_enc=first.body_enc)
    Note.objects.filter(pk__in=[first.pk, second.pk]).update(scanned_version=0)
