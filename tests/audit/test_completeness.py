"""Completeness of the audit log: every service writes exactly the events it owes, fully filled.

DESIGN.md invariants 1 and 3: every write of personal or security data, and every read of a
sensitive field, records an event (actor, action, target, outcome, time, IP, request id) in
the same transaction. tests/audit/service_catalogue.py lists the services with their
preconditions; this module adds the sign-in, platform and audit entries, runs each inside a
request context, and guards the list itself: a public function in a service module must be
in the catalogue or in ALLOW_LIST below, with its reason.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django import Settings

import accounts.services
import audit.services
import customers.services
from accounts.models import AuthenticatorDevice, Role, Team, User
from accounts.services import mfa, signin
from audit.models import Alert, AlertRule, AuditArchive, AuditEvent, Severity, VerificationRun
from audit.permissions import can_read_events
from audit.search import EventFilter
from audit.services import AuditTarget, alerts, archives, denials, reads, recording, verification
from ccplatform.context import Actor, RequestInfo, request_context
from ccplatform.crypto import rotation
from ccplatform.crypto.keyring import KeyRing, LocalKeyFile
from ccplatform.crypto.providers import key_provider
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.services import rotation as customer_rotation
from customers.services.records import customer_create
from tests.actions import TESTED
from tests.audit.service_catalogue import (
    CATALOGUE,
    SYSTEM,
    Case,
    Expect,
    Expected,
    World,
    after,
    by,
    denial,
    device_code,
    enrolling,
    entry,
    locked,
    raises,
    then,
)
from tests.audit.tampering import on_one_chain, raw, record_events
from tests.customers.test_key_rotation import blind_ring
from tests.personas import (
    PASSWORD,
    SETUP,
    current_code,
    login_verified,
    make_integrator,
    make_person,
    wrong_code,
)

pytestmark = pytest.mark.django_db

REQUEST = RequestInfo(request_id="completeness-req-abcdef", ip="198.51.100.23", user_agent="ua/1")


# --- Sign-in: the failure paths are the audited ones that matter most -----------------------


def with_failures(user: User, count: int) -> User:
    User.objects.filter(pk=user.pk).update(failed_sign_in_count=count)
    return user


def sign_in(user_name: str, password: str) -> User | None:
    request = RequestFactory().post("/accounts/login/")
    return signin.signin_password(request=request, username=user_name, password=password)


def denied(user: User) -> Expect:
    return Expect(Actor.user(user.pk), user, "denied")


# fmt: off

entry("signin_password", signin.signin_password, "auth.password_accepted",
      lambda w: lambda: by(sign_in(w.agent.username, PASSWORD) or w.other_agent))
entry("signin_password_wrong", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(w.agent.username, "wrong " * 4), denied(w.agent)))
entry("signin_password_unknown_user", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in("jane.roe@example.com", "wrong " * 4), Expect(
          Actor.system("sign-in"), AuditTarget("accounts.user", "unknown"), "denied")))
entry("signin_password_locked", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(locked(w.agent).username, PASSWORD), denied(w.agent)))
entry("signin_password_service_account", signin.signin_password, "auth.password_failed",
      lambda w: lambda: then(lambda: sign_in(w.service_account.username, ""),
                             denied(w.service_account)))
entry("signin_password_lockout", signin.signin_password, ("auth.password_failed", "user.locked"),
      lambda w: lambda: then(lambda:
          sign_in(with_failures(w.agent, 9).username, "wrong " * 4),
          (denied(w.agent), Expect(Actor.system("sign-in"), w.agent))),
      why="The failure that reaches the threshold also locks the account: two events.")
entry("signin_second_factor_totp", signin.signin_second_factor, (), lambda w: lambda: then(lambda:
    signin.signin_second_factor(user=w.agent, code=current_code(w.agent)), by(w.agent)),
      why="A right code is one step of sign-in; signin_succeeded records the sign-in once.")
entry("signin_second_factor_recovery_code", signin.signin_second_factor, "mfa.recovery_code_used",
      lambda w: (lambda codes: lambda: then(lambda: signin.signin_second_factor(
          user=w.agent, code=codes[0]), by(w.agent)))(mfa.mfa_recovery_codes_regenerate(
              caller=w.as_user(w.agent))))
entry("signin_second_factor_wrong", signin.signin_second_factor, "auth.otp_failed",
      lambda w: lambda: then(
          lambda: signin.signin_second_factor(user=w.agent, code=wrong_code(w.agent)),
          denied(w.agent)))
entry("signin_second_factor_replayed", signin.signin_second_factor, "auth.otp_replayed",
      lambda w: (lambda code: after(
          lambda: signin.signin_second_factor(user=w.agent, code=code), lambda: then(
              lambda: signin.signin_second_factor(user=w.agent, code=code), denied(w.agent))))(
                  current_code(w.agent)))
entry("signin_second_factor_locked", signin.signin_second_factor, "auth.otp_failed",
      lambda w: lambda: then(lambda: signin.signin_second_factor(
          user=locked(w.agent), code=current_code(w.agent)), denied(w.agent)))
entry("signin_enrolment_confirm", signin.signin_enrolment_confirm, "mfa.enrolled",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=made[0], code=device_code(made[1])), by(made[0])))(enrolling(w)))
entry("signin_enrolment_confirm_wrong", signin.signin_enrolment_confirm, "auth.otp_failed",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=made[0], code="1234567x"), denied(made[0])))(enrolling(w)),
      why="A wrong code is a failed OTP step (it counts towards the lockout).")
entry("signin_enrolment_confirm_locked", signin.signin_enrolment_confirm, "auth.otp_failed",
      lambda w: (lambda made: lambda: then(lambda: signin.signin_enrolment_confirm(
          user=locked(made[0]), code=device_code(made[1])), denied(made[0])))(enrolling(w)),
      why="A locked account confirms nothing, even with the right code: a failed OTP step.")
entry("signin_succeeded", signin.signin_succeeded, "auth.signed_in", lambda w: lambda: then(lambda:
    signin.signin_succeeded(user=w.agent, device=AuthenticatorDevice.objects.get(user=w.agent)),
    by(w.agent)))
entry("signout", signin.signout, "session.ended",
      lambda w: lambda: then(lambda: signin.signout(user=w.agent), by(w.agent)))
# fmt: on


# --- Platform and audit entries ----------------------------------------------------------------


def _finding(subject: str) -> alerts.Finding:
    now = timezone.now()
    return alerts.Finding(
        rule=AlertRule.BULK_ACCESS, severity=Severity.HIGH, subject=subject, summary="Many",
        event_count=60, first_seen=now, last_seen=now, details={"customers": 60},
    )  # fmt: skip


def _alert(w: World) -> Alert:
    return alerts.alert_raise(_finding(f"user:{w.agent.pk}"), caller=SYSTEM)[0]


def _new_key_versions(w: World) -> None:
    """Retire the key versions the world's customer was written with.

    Both rings change through the `settings` fixture, which puts them back in order at the
    end (an override_settings entered in between would be undone out of order and leak).
    """
    ring: KeyRing = w.settings.FIELD_ENCRYPTION_KEYRING
    w.settings.FIELD_ENCRYPTION_KEYRING = KeyRing(keys=ring.keys, active="2")
    w.settings.BLIND_INDEX_KEYRING = blind_ring("1", "2", active="2")
    key_provider.cache_clear()  # the provider is rebuilt from the new ring
    w.contexts.callback(key_provider.cache_clear)


def _local_key_file(w: World) -> None:
    w.settings.KEY_FILE = w.tmp_path / "keyring.json"
    LocalKeyFile(w.settings.KEY_FILE).load_or_create()


def _broken_chain() -> None:
    """One link of one chain edited behind the log's back."""
    events = on_one_chain(record_events(2, actor="catalogue-tamper"))
    raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["edited", events[1].pk])


def _verified(w: World) -> Expected:
    done = verification.audit_verify(caller=SYSTEM, full=True, trigger="command")
    assert done.ok
    assert not done.alerts
    return Expect(SYSTEM, done.run)


def _verified_broken(w: World) -> Expected:
    done = verification.audit_verify(caller=SYSTEM, full=True, trigger="command")
    assert not done.ok
    assert len(done.alerts) == 1
    return Expect(SYSTEM, done.run, "failed"), Expect(SYSTEM, done.alerts[0])


def _sealable(w: World) -> None:
    w.settings.AUDIT_HOT_DAYS = 0


def _sealed(w: World) -> Expected:
    archive = archives.archive_seal(caller=SYSTEM, before=timezone.now(), directory=w.tmp_path)
    return Expect(SYSTEM, VerificationRun.objects.get()), Expect(SYSTEM, archive)


def _seal_now(w: World) -> AuditArchive:
    _sealable(w)
    return archives.archive_seal(caller=SYSTEM, before=timezone.now(), directory=w.tmp_path)


def _dropped(w: World, archive: AuditArchive) -> Expected:
    archives.archive_drop(archive, caller=SYSTEM, path=w.tmp_path / archive.file_name)
    return Expect(SYSTEM, archive)


def _latest_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id")[0]


CUSTOMER_READS = EventFilter(action="customer.*")
LOG = AuditTarget("audit.log", "chains")


def _via_page(**details: Any) -> dict[str, Any]:
    return {"via": "page", **details}


# fmt: off
entry("rotation_run_data_keys", (rotation.rotation_run, rotation.DataKeyRewrap.batch,
                                customer_rotation.CustomerDataKeyRewrap.record_batch),
      "keys.rewrapped",
      lambda w: after(lambda: _new_key_versions(w), lambda: then(lambda: rotation.rotation_run(
          rotation.rotation_job("data_keys"), caller=SYSTEM), Expect(SYSTEM, None))),
      why="One event per batch; one batch here (one data key).")
entry("rotation_run_authenticator_secrets", (rotation.rotation_run, rotation.DataKeyRewrap.batch,
                                            mfa.AuthenticatorSecretRewrap.record_batch),
      "keys.rewrapped",
      lambda w: after(lambda: _new_key_versions(w), lambda: then(lambda: rotation.rotation_run(
          rotation.rotation_job("authenticator_secrets"), caller=SYSTEM), Expect(SYSTEM, None))),
      why="One event per batch; one batch here (the world's few authenticator apps).")
entry("rotation_run_lookups",
      (rotation.rotation_run, customer_rotation.CustomerLookupRecompute.batch),
      "keys.blind_index_recomputed",
      lambda w: after(lambda: _new_key_versions(w), lambda: then(lambda:
          rotation.rotation_run(rotation.rotation_job("customer_lookups"), caller=SYSTEM),
          Expect(SYSTEM, None))), why="One event per batch; one batch here (one customer).")
entry("rotation_run_by_a_person", rotation.rotation_run, "access.denied",
      lambda w: after(lambda: _new_key_versions(w), lambda: raises(
          AccessDeniedError, lambda: rotation.rotation_run(
              rotation.rotation_job("data_keys"), caller=w.admin),
          denial(w.admin, AuditTarget("keys", "data_keys"), rule="platform.rotate_keys",
                 why="people_not_allowed"))),
      why="Rotation is an operator's command or a task (the system): a person is refused.")
entry("local_key_version_add", customer_rotation.local_key_version_add, "keys.version_added",
      lambda w: after(
    lambda: _local_key_file(w), lambda: then(lambda: customer_rotation.local_key_version_add(
        caller=SYSTEM, kind=rotation.Kind.BLIND_INDEX), Expect(SYSTEM, None))))

# The audit log's own writes: the recorder, alerts, verification, archives, denials, reads.
entry("audit_record", recording.audit_record, "platform.tested", lambda w: lambda: then(lambda:
    recording.audit_record(actor=SYSTEM.actor, action=TESTED, target=w.customer),
    Expect(SYSTEM, w.customer)),
      why="The one recorder itself: every other entry writes through it.")
entry("alert_raise", alerts.alert_raise, "alert.raised", lambda w: lambda: Expect(
    SYSTEM, alerts.alert_raise(_finding("ip:192.0.2.1"), caller=SYSTEM)[0]))
entry("alert_raise_refresh", alerts.alert_raise, (),
      lambda w: after(lambda: _alert(w), lambda: then(lambda:
    alerts.alert_raise(_finding(f"user:{w.agent.pk}"), caller=SYSTEM), Expect(SYSTEM, None))),
      why="The rule fired again on an active alert: its counts are refreshed, one alert per burst.")
entry("alert_acknowledge", alerts.alert_acknowledge, "alert.acknowledged", lambda w: (
    lambda alert: lambda: Expect(w.as_user(w.compliance_officer), alerts.alert_acknowledge(
        alert, caller=w.as_user(w.compliance_officer))))(_alert(w)))
entry("alert_acknowledge_twice", alerts.alert_acknowledge, (), lambda w: (
    lambda alert: after(lambda: alerts.alert_acknowledge(
        alert, caller=w.as_user(w.compliance_officer)), lambda: raises(
            ServiceError, lambda: alerts.alert_acknowledge(
                alert, caller=w.as_user(w.compliance_officer)), by(w.compliance_officer))))(
                    _alert(w)),
      why="Only an open alert can be acknowledged: a broken rule (400), nothing changes.")
entry("alert_close", alerts.alert_close, "alert.closed", lambda w: (
    lambda alert: lambda: Expect(w.as_user(w.compliance_officer), alerts.alert_close(
        alert, caller=w.as_user(w.compliance_officer), note="Reviewed with the team lead")))(
            _alert(w)))
entry("alert_close_refused", alerts.alert_close, "access.denied", lambda w: (
    lambda alert: lambda: raises(AccessDeniedError, lambda: alerts.alert_close(
        alert, caller=w.as_user(w.supervisor), note="Not mine"), denial(
            w.as_user(w.supervisor), alert, rule="audit.handle_alerts",
            why="missing_permission:audit.change_alert")))(_alert(w)))
entry("audit_verify", verification.audit_verify, "audit.verified",
      lambda w: lambda: _verified(w))
entry("audit_verify_broken", verification.audit_verify, ("audit.verified", "alert.raised"),
      lambda w: after(_broken_chain, lambda: _verified_broken(w)),
      why="An integrity failure: the run is recorded as failed and raises a critical alert.")
entry("audit_verify_refused", verification.audit_verify, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: verification.audit_verify(
          caller=w.as_user(w.agent), trigger="api"), denial(
              w.as_user(w.agent), LOG, rule="audit.verify",
              why="missing_permission:audit.verify_auditevent")))
entry("archive_seal", archives.archive_seal, ("audit.verified", "audit.archive_sealed"),
      lambda w: after(lambda: _sealable(w), lambda: _sealed(w)),
      why="Sealing verifies every chain first (audit_verify, its own event), then seals.")
entry("archive_seal_refused", archives.archive_seal, "access.denied",
      lambda w: after(lambda: _sealable(w), lambda: raises(
          AccessDeniedError, lambda: archives.archive_seal(
              caller=w.as_user(w.compliance_officer), before=timezone.now(),
              directory=w.tmp_path), denial(
                  w.as_user(w.compliance_officer), LOG, rule="audit.archive",
                  why="people_not_allowed"))))
entry("archive_drop", archives.archive_drop, "audit.archive_dropped",
      lambda w: (lambda archive: lambda: _dropped(w, archive))(_seal_now(w)))
entry("access_denied_record", denials.access_denied_record, "access.denied",
      lambda w: (lambda caller: lambda: then(lambda: denials.access_denied_record(
          caller, can_read_events(caller), "GET /audit/events/"), denial(
              caller, AuditTarget("page", "GET /audit/events/"), rule="audit.read_events",
              why="missing_permission:audit.view_auditevent", resource="GET /audit/events/")))(
                  w.as_user(w.agent)))
entry("audit_searched", reads.audit_searched, "audit.searched", lambda w: lambda: then(lambda:
    reads.audit_searched(caller=w.as_user(w.compliance_officer), view="search",
                         event_filter=CUSTOMER_READS, page_size=50, shown=3, continued=True),
    Expect(w.as_user(w.compliance_officer), None, details=_via_page(
        view="search", filter={"action": "customer.*"}, page_size=50, shown=3,
        continued=True))))
entry("audit_event_viewed", reads.audit_event_viewed, "audit.event_viewed", lambda w: (
    lambda event: lambda: then(lambda: reads.audit_event_viewed(
        caller=w.as_user(w.compliance_officer), event=event), Expect(
            w.as_user(w.compliance_officer), event, details=_via_page())))(_latest_event()))
entry("audit_exported", reads.audit_exported, "audit.exported", lambda w: lambda: then(lambda:
    reads.audit_exported(caller=w.as_user(w.compliance_officer), event_filter=CUSTOMER_READS,
                         fmt="csv"),
    Expect(w.as_user(w.compliance_officer), None, details=_via_page(
        format="csv", filter={"action": "customer.*"}))))
entry("checkpoints_listed", reads.checkpoints_listed, "audit.checkpoints_viewed",
      lambda w: lambda: then(lambda: reads.checkpoints_listed(
          caller=w.as_user(w.compliance_officer), page=2, shown=5), Expect(
              w.as_user(w.compliance_officer), None, details=_via_page(page=2, checkpoints=5))))
entry("alerts_listed", reads.alerts_listed, "alert.listed", lambda w: lambda: then(lambda:
    reads.alerts_listed(caller=w.as_user(w.compliance_officer), alert_filter={"status": "open"},
                        shown=1),
    Expect(w.as_user(w.compliance_officer), None, details=_via_page(
        filter={"status": "open"}, shown=1))))
# fmt: on


# --- Running the catalogue -----------------------------------------------------------------


@pytest.fixture
def world(settings: Settings, tmp_path: Path, team_a: Team) -> Iterator[World]:
    agent = make_person("agent.ann", Role.AGENT, team_a)
    made = World(
        team=team_a,
        agent=agent,
        other_agent=make_person("agent.bob", Role.AGENT, Team.objects.create(name="Team B")),
        supervisor=make_person("super.sue", Role.SUPERVISOR, team_a),
        security_admin=make_person("sec.sam", Role.SECURITY_ADMIN),
        compliance_officer=make_person("comply.carl", Role.COMPLIANCE_OFFICER),
        service_account=make_integrator("crm.sync").user,
        customer=customer_create(
            caller=SETUP,
            team_id=team_a.pk,
            values={"name": "Catalogue Person", "phones": ["555 010 4477"]},
        ),
        settings=settings,
        tmp_path=tmp_path,
    )
    with made.contexts:
        yield made


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, AuditTarget):
        return target.type, target.id
    return target._meta.label_lower, str(target.pk)


def _params() -> list[Any]:
    marks = lambda case: [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []  # noqa: E731
    return [pytest.param(case, id=case.id, marks=marks(case)) for case in CATALOGUE]


@pytest.mark.parametrize("case", _params())
def test_service_records_exactly_its_events(case: Case, world: World) -> None:
    call = case.prepare(world)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()
    with request_context(REQUEST):
        expected = call()
    finished = timezone.now()

    written = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [event.action for event in written] == list(case.actions)
    expectations = expected if isinstance(expected, tuple) else (expected,) * len(written)
    for event, expect in zip(written, expectations, strict=True):
        assert (event.actor_kind, event.actor_id) == (expect.actor.kind, expect.actor.id)
        assert (event.target_type, event.target_id) == _target(expect.target)
        assert event.outcome == expect.outcome
        if expect.details is not None:
            assert event.details == expect.details
        assert started <= event.occurred_at <= finished
        assert (event.request_id, event.ip, event.user_agent) == (
            REQUEST.request_id,
            REQUEST.ip,
            REQUEST.user_agent,
        )


def test_every_exception_to_one_event_says_why() -> None:
    unexplained = [case.id for case in CATALOGUE if len(case.actions) != 1 and not case.why]
    assert unexplained == []
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)


# --- The guard: no public service function without a decision about its audit -------------

# Besides every module of the services packages (accounts, customers, audit): key rotation,
# the export's formatting, and the customer selectors (they decrypt for pages and the API).
SERVICE_PACKAGES = (accounts.services, customers.services, audit.services)
EXTRA_MODULES = ("ccplatform.crypto.rotation", "audit.exporting", "customers.selectors")
NO_PERSONAL_DATA = "touches no personal or security data"
# Public functions that need no event of their own, each with the reason. Anything that
# writes or reads personal or security data belongs in the catalogue instead (with an
# explicit empty `actions` and a reason when it records nothing itself).
ALLOW_LIST = {
    "accounts.services.mfa.confirmed_totp_device": "selector: whether a device exists",
    "accounts.services.sessions.session_public_id": "a hash of the session key, for display",
    # Writing a batch's rows (COPY or bulk_create) inside customers_import_batch, which audits.
    "customers.services.copying.copy_supported": "whether COPY is available",
    "customers.services.copying.copy_rows": "writes rows for customers_import_batch",
    "customers.services.copying.insert_many": "writes rows for customers_import_batch",
    "customers.services.rescan.RescanProgress.line": "counts as text",
    # Key rotation: registry, reports (counts and row ids) and instructions.
    "customers.services.rotation.CustomerLookupRecompute.pending": "a count",
    "customers.services.rotation.CustomerLookupRecompute.report": "counts and customer ids",
    "ccplatform.crypto.rotation.keyring": "reads a setting",
    "ccplatform.crypto.rotation.by_version": "sorts version names",
    "ccplatform.crypto.rotation.register": "the job registry",
    "ccplatform.crypto.rotation.rotation_jobs": "the job registry",
    "ccplatform.crypto.rotation.rotation_job": "the job registry",
    "ccplatform.crypto.rotation.environment_instructions": "help text",
    "ccplatform.crypto.rotation.RotationJob.pending": "abstract; implementations listed",
    "ccplatform.crypto.rotation.RotationJob.batch": "abstract; implementations catalogued",
    "ccplatform.crypto.rotation.RotationJob.report": "abstract; implementations listed",
    "ccplatform.crypto.rotation.DataKeyRewrap.pending": "a count",
    "ccplatform.crypto.rotation.DataKeyRewrap.report": "counts and row ids",
    "ccplatform.crypto.rotation.DataKeyRewrap.record_batch": "abstract; implementations catalogued",
    # Export formatting of events already recorded; the export itself is audit_exported.
    "audit.exporting.event_record": "formats a recorded event",
    "audit.exporting.spreadsheet_safe": "formats a cell",
    "audit.exporting.csv_lines": "formats recorded events",
    "audit.exporting.json_line": "formats a recorded event",
    "audit.exporting.jsonl_lines": "formats recorded events",
    "audit.exporting.streaming_export": "streams what the caller recorded with audit_exported",
    "audit.exporting.filter_summary": "the filter as text for audit_exported and audit_searched",
    # Which customers a caller reaches: a queryset, nothing decrypted; what is shown of them
    # is recorded by customer_get_for's callers, customers_listed and customers_search.
    "customers.selectors.customers_visible_to": "a queryset of the customers a caller reaches",
}


def _service_modules() -> list[ModuleType]:
    names = [
        f"{package.__name__}.{info.name}"
        for package in SERVICE_PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
    ]
    return [importlib.import_module(name) for name in (*names, *EXTRA_MODULES)]


def _public_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """Functions defined in `module`, and methods of classes defined there, by dotted name."""
    found: dict[str, Callable[..., Any]] = {}
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            found[f"{module.__name__}.{name}"] = value
        elif inspect.isclass(value):
            for attribute, member in vars(value).items():
                if not attribute.startswith("_") and inspect.isfunction(member):
                    found[f"{module.__name__}.{name}.{attribute}"] = member
    return found


def _dotted(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def test_every_public_service_function_is_catalogued_or_allowed() -> None:
    public = {name for module in _service_modules() for name in _public_functions(module)}
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert sorted(public - catalogued - set(ALLOW_LIST)) == []


def test_the_allow_list_names_only_existing_uncatalogued_functions() -> None:
    public = {name for module in _service_modules() for name in _public_functions(module)}
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert sorted(set(ALLOW_LIST) - public) == []
    assert sorted(set(ALLOW_LIST) & catalogued) == []


@pytest.mark.parametrize(
    "module",
    [customers.services.records, reads, accounts.services.users],
    ids=lambda module: module.__name__,
)
def test_the_guard_sees_a_new_service_function(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType
) -> None:
    def record_merge() -> None: ...

    record_merge.__module__ = module.__name__
    monkeypatch.setattr(module, "record_merge", record_merge, raising=False)
    public = {name for found in _service_modules() for name in _public_functions(found)}
    assert f"{module.__name__}.record_merge" in public
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert f"{module.__name__}.record_merge" in public - catalogued - set(ALLOW_LIST)


# --- A failure path audited at the HTTP layer ------------------------------------------------


def test_a_browser_reveal_of_medical_notes_without_permission_is_audited(
    client: Client, world: World
) -> None:
    login_verified(client, world.agent)
    url = f"/workspace/customers/{world.customer.pk}/reveal/"
    response = client.post(url, {"field": "medical_notes", "reason": "caller asked"})
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="access.denied", actor_id=str(world.agent.pk))
    assert denied.outcome == "denied"
    assert (denied.target_type, denied.target_id) == ("customers.customer", str(world.customer.pk))
    assert denied.details == {
        "rule": "customers.reveal_fields",
        "via": "page",
        "resource": f"customers.customer:{world.customer.pk}",
        "why": "missing_permission:customers.view_medical",
    }
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()
