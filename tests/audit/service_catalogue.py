"""Every service that writes or reads personal or security data, and the audit events it owes.

Each entry prepares its preconditions in a `World` (people, a team, one customer) and returns
a call that runs the service once; tests/audit/test_completeness.py runs it in a request
context, checks the events, and fails on a public service function that is neither here nor
in its allow-list. `actions` are the events one call must write, in order: exactly one is the
rule, and an entry with none or several says why. Entries are dense, one `entry(...)` each,
so the list reads as a table; the sign-in, platform and audit entries are in that module.

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
from django.http import Http404
from django.utils import timezone
from django_otp.oath import totp
from pytest_django import Settings

from accounts.callers import caller_for_key
from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User, UserSession
from accounts.services import api_keys, mfa, passwords, sessions, teams, users
from audit.services import AuditTarget
from ccplatform.callers import Caller, Via
from ccplatform.config import Rate
from ccplatform.context import Actor
from ccplatform.errors import AccessDeniedError, ServiceError
from ccplatform.redaction import redact_card_data
from customers import selectors
from customers.models import Customer, Note
from customers.services import access_log, importing, notes, records, rescan, search
from tests.personas import PASSWORD, as_caller

NEW_PASSWORD = "an entirely fresh passphrase for the catalogue"
CARD_NOTE = "Paid with 4111 1111 1111 1111 cvv 123"
IMPORT = ['{"name": "Imre Catalogue", "phones": ["+1 555 010 2233"]}'] * 3
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


def key_target(key: ServiceAPIKey) -> AuditTarget:
    return AuditTarget("accounts.serviceapikey", key.prefix)


def long_ago(user: User) -> None:
    past = timezone.now() - dt.timedelta(days=200)
    User.objects.filter(pk=user.pk).update(last_login=past, active_since=past)


def new_person(w: World) -> User:
    """A person with no second factor yet (every persona already has one)."""
    return users.user_create(caller=w.admin, username="new.hire", role=Role.AGENT,
                             password=PASSWORD)  # fmt: skip


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
    user.refresh_from_db(fields=["locked_until"])
    return user


def by(user: User) -> Expect:
    """The person acted on their own account."""
    return Expect(Actor.user(user.pk), user)


NEW_USER = AuditTarget("accounts.user", "new")
NEW_CUSTOMER = AuditTarget("customers.customer", "new")

# --- accounts: users and teams ---------------------------------------------------------------

# fmt: off
entry("user_create", users.user_create, "user.created",
      lambda w: lambda: Expect(w.admin, users.user_create(
    caller=w.admin, username="new.person", role=Role.AGENT, password=PASSWORD, teams=[w.team])))
entry("user_create_refused", users.user_create, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: users.user_create(
          caller=w.as_user(w.supervisor), username="new.person", role=Role.AGENT,
          password=PASSWORD),
          denial(w.as_user(w.supervisor), NEW_USER, rule="accounts.add_users",
                 why="missing_permission:accounts.assign_role")))
entry("user_set_role", users.user_set_role, "user.role_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_role(caller=w.admin, user=w.agent, role=Role.SUPERVISOR, reason="up")))
entry("user_set_teams", users.user_set_teams, "user.teams_changed", lambda w: lambda: Expect(
    w.admin, users.user_set_teams(caller=w.admin, user=w.agent, teams=[Team.objects.create(
        name="Night desk")])))
entry("user_disable", users.user_disable, "user.disabled", lambda w: lambda: Expect(
    w.admin, users.user_disable(caller=w.admin, user=w.agent, reason="left")))
entry("user_enable", users.user_enable, "user.enabled", lambda w: after(
    lambda: users.user_disable(caller=w.admin, user=w.agent, reason="leave"),
    lambda: Expect(w.admin, users.user_enable(caller=w.admin, user=w.agent, reason="back"))))
entry("user_unlock", users.user_unlock, "user.unlocked", lambda w: lambda: Expect(
    w.admin, users.user_unlock(caller=w.admin, user=locked(w.agent), reason="called in")))
entry("users_disable_dormant", users.users_disable_dormant, "user.disabled", lambda w: after(
    lambda: long_ago(w.agent), lambda: then(lambda: users.users_disable_dormant(inactive_days=90),
                                    Expect(Actor.system("dormant-accounts"), w.agent))),
      why="One user.disabled per dormant account; exactly one account is dormant here.")
entry("team_create", teams.team_create, "team.created", lambda w: lambda: Expect(
    w.admin, teams.team_create(caller=w.admin, name="Escalations")))
entry("team_rename", teams.team_rename, "team.renamed", lambda w: lambda: Expect(
    w.admin, teams.team_rename(caller=w.admin, team=w.team, name="Retention")))
entry("team_rename_refused", teams.team_rename, "access.denied", lambda w: lambda: raises(
    AccessDeniedError, lambda: teams.team_rename(
        caller=w.as_user(w.compliance_officer), team=w.team, name="Retention"),
    denial(w.as_user(w.compliance_officer), w.team, rule="accounts.manage_teams",
           why="missing_permission:accounts.change_team")))

# --- accounts: API keys --------------------------------------------------------------------------
entry("api_key_create", api_keys.api_key_create, "api_key.created", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_create(
        caller=w.admin, user=w.service_account, name="CRM", scopes=["customers:read"],
        expires_at=None)[0])))
entry("api_key_revoke", api_keys.api_key_revoke, "api_key.revoked", lambda w: lambda: Expect(
    w.admin, key_target(api_keys.api_key_revoke(
        caller=w.admin, key=ServiceAPIKey.objects.get(user=w.service_account), reason="leaked"))))
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
      why="A wrong code changes nothing here; the sign-in flow confirms through "
          "signin_enrolment_confirm (its own entries), which records it as a failed OTP step "
          "and counts it towards the lockout.")
entry("mfa_enrolment_confirm_locked", mfa.mfa_enrolment_confirm, (), lambda w: (
    lambda made: lambda: raises(ServiceError, lambda: mfa.mfa_enrolment_confirm(
        user=locked(made[0]), code=device_code(made[1])), by(made[0])))(enrolling(w)),
      why="A locked account confirms nothing (the sign-in rule); signin_enrolment_confirm "
          "records the attempt (its own entry).")
entry("mfa_recovery_codes_regenerate", mfa.mfa_recovery_codes_regenerate,
      "mfa.recovery_codes_regenerated", lambda w: lambda: then(lambda:
          mfa.mfa_recovery_codes_regenerate(caller=w.as_user(w.agent)), by(w.agent)))
entry("mfa_reset", mfa.mfa_reset, "mfa.reset", lambda w: lambda: then(lambda:
    mfa.mfa_reset(caller=w.admin, user=w.agent, reason="lost phone"), Expect(w.admin, w.agent)))
entry("mfa_reset_refused", mfa.mfa_reset, "access.denied", lambda w: lambda: raises(
    AccessDeniedError, lambda: mfa.mfa_reset(
        caller=w.as_user(w.supervisor), user=w.agent, reason="lost phone"),
    denial(w.as_user(w.supervisor), w.agent, rule="accounts.reset_mfa",
           why="missing_permission:accounts.reset_mfa")))

# --- accounts: passwords and sessions ----------------------------------------------------------
entry("password_change_check", passwords.password_change_check, "password.change_refused",
      lambda w: lambda: raises(ServiceError, lambda: passwords.password_change_check(
          caller=w.as_user(w.agent), current_password="wrong " * 4, new_password=NEW_PASSWORD),
          Expect(w.as_user(w.agent), w.agent, "failed")))
entry("password_record", passwords.password_record, (), lambda w: lambda: then(lambda:
    passwords.password_record(w.agent), by(w.agent)),
      why="A step of user_create, password_change and password_reset_complete (the history "
          "row for reuse checks), which record the event in the same transaction.")
entry("password_change", passwords.password_change, "password.changed",
      lambda w: lambda: then(lambda:
    passwords.password_change(caller=w.as_user(w.agent), current_password=PASSWORD,
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
          sessions.session_end_others(caller=w.as_user(w.agent), keep_session_key="current"),
          by(w.agent))))
entry("session_end_others_by_a_key", sessions.session_end_others, "access.denied",
      lambda w: (lambda key: lambda: raises(AccessDeniedError, lambda: sessions.session_end_others(
          caller=key, keep_session_key="current"), denial(
              key, w.service_account, rule="accounts.own_security", why="keys_not_allowed")))(
                  key_caller_of(w.service_account)))
entry("session_end", sessions.session_end, "session.revoked", lambda w: (
    lambda public_id: lambda: then(lambda: sessions.session_end(
        caller=w.as_user(w.agent), session_id=public_id), by(w.agent)))(
            sessions.session_public_id(session_of(w.agent))))
entry("session_end_unknown", sessions.session_end, "session.revoke_refused",
      lambda w: lambda: raises(
          ServiceError, lambda: sessions.session_end(
              caller=w.as_user(w.agent), session_id="0" * 16),
          Expect(w.as_user(w.agent), w.agent, "denied")))

# --- customers: records, reveal, search ------------------------------------------------------
entry("customer_create", records.customer_create, "customer.created", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_create(caller=w.as_user(w.agent), team_id=w.team.pk,
                                                values={"name": "Orla Catalogue"})))
entry("customer_create_by_the_system", records.customer_create, "customer.created",
      lambda w: lambda: Expect(SYSTEM, records.customer_create(
          caller=SYSTEM, team_id=w.team.pk, values={"name": "Orla Catalogue",
                                                    "medical_notes": "Asthma"})))
entry("customer_create_other_team", records.customer_create, (), lambda w: lambda: raises(
    ServiceError, lambda: records.customer_create(
        caller=w.as_user(w.agent), team_id=w.other_agent.teams.get().pk,
        values={"name": "Orla Catalogue"}), by(w.agent)),
      why="A team that is not one of the agent's is a field error (400), like invalid input; "
          "nothing is written.")
entry("customer_create_refused", records.customer_create, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: records.customer_create(
          caller=w.as_user(w.compliance_officer), team_id=w.team.pk,
          values={"name": "Orla Catalogue"}),
          denial(w.as_user(w.compliance_officer), NEW_CUSTOMER, rule="customers.create",
                 why="missing_permission:customers.add_customer")))
entry("customer_update", records.customer_update, "customer.updated", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_update(caller=w.as_user(w.agent), customer=w.customer,
                                                values={"emails": ["o.c@example.org"]})))
entry("customer_update_medical_refused", records.customer_update, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: records.customer_update(
          caller=w.as_user(w.agent), customer=w.customer, values={"medical_notes": "x"}),
          denial(w.as_user(w.agent), w.customer, rule="customers.write_medical",
                 why="missing_permission:customers.view_medical")))
entry("customer_build", records.customer_build, (),
      lambda w: lambda: then(lambda: records.customer_build(
    team=w.team, values={"name": "Unsaved Person"}), by(w.agent)),
      why="A step of customer_create and the import: its data key row is kept only when their "
          "audited transaction commits.")
entry("customer_viewed", records.customer_viewed, "customer.viewed", lambda w: lambda: then(lambda:
    records.customer_viewed(caller=w.as_user(w.agent), customer=w.customer),
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
entry("customer_reveal_medical_refused", records.customer_reveal, "access.denied",
      lambda w: lambda: raises(
          AccessDeniedError, lambda: reveal(w, w.agent, ["medical_notes"]),
          denial(w.as_user(w.agent), w.customer, rule="customers.reveal_fields",
                 why="missing_permission:customers.view_medical")))
entry("customers_search", search.customers_search, "customer.searched",
      lambda w: lambda: then(lambda:
    search.customers_search(caller=w.as_user(w.agent), kind="phone", value="(555) 010-4477"),
    Expect(w.as_user(w.agent), None)))
entry("customers_search_bad_value", search.customers_search, (), lambda w: lambda: raises(
    ServiceError, lambda: search.customers_search(
        caller=w.as_user(w.agent), kind="phone", value="call me"), by(w.agent)),
      why="Nothing was searched: the value is not a phone number (a 400).")
entry("customers_search_refused", search.customers_search, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: search.customers_search(
          caller=w.as_user(w.security_admin), kind="phone", value="(555) 010-4477"),
          denial(w.as_user(w.security_admin), AuditTarget("customers.customer", "search"),
                 rule="customers.view", why="missing_permission:customers.view_customer")))

# --- customers: reads of the selectors ---------------------------------------------------------
entry("customer_get_for", selectors.customer_get_for, (), lambda w: lambda: then(lambda:
    selectors.customer_get_for(w.as_user(w.agent), w.customer.pk), by(w.agent)),
      why="Finds the record the caller may reach; the page or API that shows it records "
          "customer.viewed (customer_viewed, its own entry).")
entry("customer_get_for_hidden", selectors.customer_get_for, "access.denied", lambda w: lambda:
      raises(Http404, lambda: selectors.customer_get_for(
          w.as_user(w.other_agent), w.customer.pk), denial(
              w.as_user(w.other_agent), AuditTarget("customers.customer", str(w.customer.pk)),
              rule="customers.visible", why="outside_scope_or_missing")),
      why="Hidden and missing look alike (404), and the refusal is recorded.")
entry("customer_masked", (selectors.customer_masked, selectors.customer_record), (),
      lambda w: lambda: then(lambda: (
          selectors.customer_masked(w.as_user(w.supervisor), w.customer),
          selectors.customer_record(w.as_user(w.agent), w.customer)), by(w.agent)),
      why="Masked values only; their callers record customer.viewed, .listed or .searched.")
entry("customer_history", (selectors.customer_history, selectors.note_shown,
                           selectors.interaction_shown), (),
      lambda w: after(lambda: note(w, "Prefers email"), lambda: then(lambda:
          selectors.customer_history(w.as_user(w.agent), w.customer), by(w.agent))),
      why="Decrypts for a page (note_shown, interaction_shown per row); every caller records "
          "customer_history_viewed (its own entry).")

# --- customers: access log, notes, import, rescan --------------------------------------------
entry("customers_listed", access_log.customers_listed, "customer.listed",
      lambda w: lambda: then(lambda:
    access_log.customers_listed(caller=w.as_user(w.agent), customer_ids=[str(w.customer.pk)],
                                page=1), Expect(w.as_user(w.agent), None)))
entry("customer_history_viewed", access_log.customer_history_viewed, "customer.notes_viewed",
      lambda w: lambda: then(lambda: access_log.customer_history_viewed(
          caller=w.as_user(w.agent), customer=w.customer, part="notes", ids=[]),
          Expect(w.as_user(w.agent), w.customer)))
entry("customer_integrity_failed", access_log.customer_integrity_failed,
      "customer.integrity_failed",
      lambda w: lambda: then(lambda: access_log.customer_integrity_failed(
          caller=w.as_user(w.agent), customer=w.customer, operation="reveal"),
          Expect(w.as_user(w.agent), w.customer, "failed")))
entry("customer_note_add", notes.customer_note_add, "customer.note_added",
      lambda w: lambda: then(lambda:
    note(w, "Prefers email"), Expect(w.as_user(w.agent), w.customer)))
entry("customer_note_add_with_card", notes.customer_note_add,
      ("customer.card_data_redacted", "customer.note_added"), lambda w: lambda: then(lambda:
          note(w, CARD_NOTE), Expect(w.as_user(w.agent), w.customer)),
      why="Card data found in the text is its own security event, besides the note.")
entry("customer_note_add_refused", notes.customer_note_add, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: notes.customer_note_add(
          caller=w.as_user(w.compliance_officer), customer=w.customer, body="Prefers email"),
          denial(w.as_user(w.compliance_officer), w.customer, rule="customers.add_note",
                 why="missing_permission:customers.add_note")))
entry("customer_interaction_add", notes.customer_interaction_add, "customer.interaction_added",
      lambda w: lambda: then(lambda: notes.customer_interaction_add(
          caller=w.as_user(w.agent), customer=w.customer, channel="call",
          outcome="resolved", summary="Called back"), Expect(w.as_user(w.agent), w.customer)))
entry("card_data_redacted", notes.card_data_redacted, "customer.card_data_redacted",
      lambda w: lambda: then(lambda: notes.card_data_redacted(
          caller=w.as_user(w.agent), customer=w.customer, result=redact_card_data(CARD_NOTE),
          where="note", row_id="n1"), Expect(w.as_user(w.agent), w.customer)))
entry("customers_import_batch", importing.customers_import_batch, "customers.imported",
      lambda w: lambda: then(lambda: importing.customers_import_batch(
          caller=SYSTEM, team=w.team, built=importing.customers_build_many(
              team=w.team, rows=importing.rows_from_jsonl(IMPORT))[0], number=1,
          rejected_lines=[]), Expect(SYSTEM, w.team)))
entry("customers_build_many", importing.customers_build_many, (), lambda w: lambda: then(lambda:
    importing.customers_build_many(team=w.team, rows=importing.rows_from_jsonl(IMPORT)),
    Expect(SYSTEM, w.team)), why="Unsaved rows (data keys too); customers_import_batch saves them.")
entry("customers_import", importing.customers_import, ("customers.imported",) * 2,
      lambda w: lambda: then(lambda: importing.customers_import(
          caller=SYSTEM, team=w.team, rows=importing.rows_from_jsonl(IMPORT), batch_size=2),
          Expect(SYSTEM, w.team)), why="One event per saved batch: 3 rows in batches of 2.")
entry("customers_import_rolled_back", importing.customers_import, "customers.import_failed",
      lambda w: lambda: then(lambda: importing.customers_import(
          caller=SYSTEM, team=w.team, rows=importing.rows_from_jsonl([*IMPORT, "{}"]),
          all_or_nothing=True), Expect(SYSTEM, w.team, "failed")))
entry("customers_import_by_a_person", importing.customers_import, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: importing.customers_import(
          caller=w.as_user(w.supervisor), team=w.team, rows=importing.rows_from_jsonl(IMPORT)),
          denial(w.as_user(w.supervisor), w.team, rule="customers.import",
                 why="people_not_allowed")),
      why="Importing is an operator's command (the system): a person is refused, recorded.")
entry("notes_rescan", rescan.notes_rescan, "customers.notes_rescanned", lambda w: after(
    lambda: Note.objects.filter(pk=note(w, "old").pk).update(scanned_version=0),
    lambda: then(lambda: rescan.notes_rescan(caller=SYSTEM), Expect(SYSTEM, None))),
      why="One event per batch of each kind of text; here one batch of notes, no interactions.")
entry("notes_rescan_integrity_failed", rescan.notes_rescan,
      ("customer.integrity_failed", "customers.notes_rescanned"), lambda w: after(
          lambda: moved_note(w), lambda: then(lambda: rescan.notes_rescan(caller=SYSTEM), (
              Expect(SYSTEM, w.customer, "failed"), Expect(SYSTEM, None)))),
      why="A stored text that fails its check is recorded on its own, then the batch.")
# fmt: on


def key_caller_of(service_account: User) -> Caller:
    """The caller of the service account's API key (the integrator persona's)."""
    return caller_for_key(ServiceAPIKey.objects.select_related("user").get(user=service_account))


def reveal(w: World, user: User, fields: list[str]) -> dict[str, Any]:
    return records.customer_reveal(
        caller=w.as_user(user), customer=w.customer, fields=fields, reason="caller asked"
    )


def reveal_once(w: World) -> None:
    """One reveal allowed per hour, and used."""
    w.settings.REVEAL_RATE = Rate(1, "hour")
    reveal(w, w.agent, ["name"])


def note(w: World, body: str) -> Note:
    return notes.customer_note_add(caller=w.as_user(w.agent), customer=w.customer, body=body)


def moved_note(w: World) -> None:
    """One note whose ciphertext was moved from another: it fails its integrity check."""
    first, second = note(w, "first"), note(w, "second")
    Note.objects.filter(pk=second.pk).update(body_enc=first.body_enc)
    Note.objects.filter(pk__in=[first.pk, second.pk]).update(scanned_version=0)
