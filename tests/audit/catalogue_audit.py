"""Completeness catalogue: key rotation and the audit log's own writes and reads.

Key rotation (data keys, authenticator secrets, customer lookups, a new local key version),
then the recorder itself, alerts, verification, archives, recorded refusals and the reads
of the log; every `entry(...)` here registers in tests.audit.service_catalogue.CATALOGUE
when this module is imported (by tests/audit/test_completeness.py, which runs them).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.services import mfa
from audit.models import Alert, AlertRule, AuditArchive, AuditEvent, Severity, VerificationRun
from audit.permissions import can_read_events
from audit.search import EventFilter
from audit.services import AuditTarget, alerts, archives, denials, reads, recording, verification
from ccplatform.crypto import rotation
from ccplatform.crypto.keyring import KeyRing, LocalKeyFile
from ccplatform.crypto.providers import key_provider
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.services import rotation as customer_rotation
from tests.actions import TESTED
from tests.audit.service_catalogue import (
    SYSTEM,
    Expect,
    Expected,
    World,
    after,
    by,
    denial,
    entry,
    raises,
    then,
)
from tests.audit.tampering import on_one_chain, raw, record_events
from tests.customers.test_key_rotation import blind_ring


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
