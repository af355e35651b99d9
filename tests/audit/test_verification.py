"""Verification walks every chain and reports the first broken link, whatever the tampering."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from audit.chaining import chain_for
from audit.checkpoints import latest_checkpoints
from audit.models import Alert, AlertRule, AuditEvent, Checkpoint, Severity, VerificationRun
from audit.services.verification import audit_verify
from audit.verification import verify_chains
from ccplatform.callers import Caller
from tests.audit.tampering import on_one_chain, raw, record_events, rewrite_chain

# Each audit_record commits on its own, as in production: chains are then per actor (inside
# one transaction, later events join the highest chain it holds; see audit.chaining).
pytestmark = pytest.mark.django_db(transaction=True)

VERIFIER = Caller.system("verification test")


@pytest.fixture
def links() -> list[AuditEvent]:
    """Five links of one chain, plus a few events by other actors on (likely) other chains."""
    record_events(2, actor="bystander-1")
    chain = on_one_chain(record_events(5, actor="victim"))
    record_events(2, actor="bystander-2")
    return chain


def _only_break(full: bool = True) -> dict[str, object]:
    """The one break the walk reports (verify_chains only reads: nothing is stored)."""
    report = verify_chains(full=full)
    assert len(report.breaks) == 1, report.breaks
    (found,) = report.breaks.values()
    return asdict(found)


def _verified(*, full: bool = True) -> VerificationRun:
    """A stored verification run that signs the intact heads, as the scheduled ones do."""
    return audit_verify(caller=VERIFIER, full=full, trigger="test").run


def test_an_intact_log_verifies_and_counts_every_event(links: list[AuditEvent]) -> None:
    report = verify_chains(full=True)
    assert report.breaks == {}
    # The nine events of the fixture, and the role sync recorded by the migration.
    assert report.events_checked == AuditEvent.objects.count() == 9 + 1
    assert report.chains == set(AuditEvent.objects.values_list("chain", flat=True))
    assert set(report.intact_ends) == report.chains
    assert not VerificationRun.objects.exists()  # a walk alone stores nothing
    assert not AuditEvent.objects.filter(action="audit.verified").exists()


def test_an_edited_column_is_reported_at_its_link(links: list[AuditEvent]) -> None:
    target = links[2]
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["platform.hidden", target.pk])
    found = _only_break()
    assert (found["chain"], found["seq"], found["event_id"]) == (target.chain, 3, target.pk)
    assert "edited" in str(found["problem"])


def test_an_edited_canonical_text_is_reported(links: list[AuditEvent]) -> None:
    target = links[1]
    raw(
        "UPDATE audit_auditevent SET canonical = replace(canonical, 'platform.tested', "
        "'platform.hidden'), action = 'platform.hidden' WHERE id = %s",
        [target.pk],
    )
    found = _only_break()
    assert (found["seq"], found["event_id"]) == (2, target.pk)
    assert "hash does not match" in str(found["problem"])


def test_a_rehashed_edit_still_breaks_the_next_link(links: list[AuditEvent]) -> None:
    """Recomputing the edited row's own hash is not enough: the next link names the old one."""
    from audit.chaining import link_hash

    target = links[1]
    canonical = target.canonical.replace('"n":1', '"n":99')
    new_hash = link_hash(target.prev_hash, target.chain, target.seq, canonical)
    raw(
        "UPDATE audit_auditevent SET canonical = %s, details = %s, hash = %s WHERE id = %s",
        [canonical, '{"n": 99}', new_hash, target.pk],
    )
    found = _only_break()
    assert (found["seq"], found["event_id"]) == (3, links[2].pk)
    assert "does not follow" in str(found["problem"])


def test_a_deleted_row_is_reported_as_a_missing_link(links: list[AuditEvent]) -> None:
    raw("DELETE FROM audit_auditevent WHERE id = %s", [links[2].pk])
    found = _only_break()
    assert (found["chain"], found["seq"], found["event_id"]) == (links[2].chain, 3, None)
    assert "missing" in str(found["problem"])


def test_reordered_rows_are_reported(links: list[AuditEvent]) -> None:
    second, third = links[1], links[2]
    raw("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [second.pk])
    raw("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [third.pk])
    raw("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [second.pk])
    found = _only_break()
    assert (found["seq"], found["event_id"]) == (2, third.pk)


def test_a_truncated_tail_is_reported(links: list[AuditEvent]) -> None:
    raw("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [links[3].pk, links[4].pk])
    found = _only_break()
    assert (found["chain"], found["seq"]) == (links[0].chain, 4)
    assert "truncated" in str(found["problem"])


def test_a_truncated_tail_with_a_rewound_head_is_caught_by_the_checkpoint(
    links: list[AuditEvent],
) -> None:
    assert _verified().ok
    victim_chain = links[0].chain
    assert latest_checkpoints()[victim_chain].seq == 5
    raw("DELETE FROM audit_auditevent WHERE id = %s", [links[4].pk])
    raw(
        "UPDATE audit_chainhead SET seq = 4, hash = %s WHERE chain = %s",
        [links[3].hash, victim_chain],
    )
    for full in (True, False):
        found = _only_break(full)
        assert (found["chain"], found["seq"]) == (victim_chain, 5)
        assert "checkpoint" in str(found["problem"])


def test_a_rewrite_of_the_whole_chain_is_caught_by_the_signed_checkpoint(
    links: list[AuditEvent],
) -> None:
    """An attacker recomputes every hash consistently; only the signature they cannot forge."""

    assert _verified().ok
    rewrite_chain(
        links[0].chain,
        column="action",
        value="platform.rewrite",
        canonical_change=("platform.tested", "platform.rewrite"),
    )
    found = _only_break()
    assert (found["seq"], found["event_id"]) == (5, links[4].pk)
    assert "signed checkpoint" in str(found["problem"])


def test_a_forged_checkpoint_signature_is_reported(links: list[AuditEvent]) -> None:
    assert _verified().ok
    checkpoint = Checkpoint.objects.get(chain=links[0].chain)
    raw("UPDATE audit_checkpoint SET signature = %s WHERE id = %s", ["0" * 64, checkpoint.pk])
    found = _only_break()
    assert "signature" in str(found["problem"])


def test_incremental_runs_start_at_the_last_checkpoint_and_sign_new_heads(
    links: list[AuditEvent],
) -> None:
    chains = set(AuditEvent.objects.values_list("chain", flat=True))
    first = _verified(full=False)
    assert first.ok
    assert first.events_checked == 9 + 1  # and the migration's role sync
    assert first.checkpoints_made == len(chains)
    record_events(2, actor="victim")
    second = _verified(full=False)
    assert second.ok
    # The two new links, and the first run's own audit.verified event.
    assert second.events_checked == 2 + 1
    assert second.checkpoints_made == len({links[0].chain, chain_for("system", VERIFIER.actor.id)})
    assert latest_checkpoints()[links[0].chain].seq == 7


def test_a_break_is_audited_and_raises_one_critical_alert(links: list[AuditEvent]) -> None:
    raw("DELETE FROM audit_auditevent WHERE id = %s", [links[1].pk])
    verification = audit_verify(caller=VERIFIER, full=True, trigger="test")
    run = verification.run
    assert not verification.ok
    assert run.checkpoints_made >= 1  # intact chains are still signed
    assert not Checkpoint.objects.filter(chain=links[0].chain).exists()
    (alert,) = verification.alerts
    assert (alert.rule, alert.severity) == (AlertRule.VERIFICATION_FAILED, Severity.CRITICAL)
    assert alert.subject == f"chain:{links[0].chain}"
    assert alert.details["seq"] == 2
    verified = AuditEvent.objects.filter(action="audit.verified").get()
    assert (verified.outcome, verified.actor_id, verified.target_id) == (
        "failed",
        VERIFIER.actor.id,
        str(run.pk),
    )
    assert verified.details["broken_chains"] == [links[0].chain]
    assert verified.details["trigger"] == "test"
    raised = AuditEvent.objects.get(action="alert.raised")
    assert (raised.actor_id, raised.target_id) == (VERIFIER.actor.id, str(alert.pk))
    # A second run over the same break refreshes the alert instead of raising another.
    again = audit_verify(caller=VERIFIER, full=True, trigger="test")
    assert [refreshed.pk for refreshed in again.alerts] == [alert.pk]
    assert Alert.objects.filter(rule=AlertRule.VERIFICATION_FAILED).count() == 1


def test_a_canonical_text_that_is_not_json_is_reported_not_a_crash(
    links: list[AuditEvent],
) -> None:
    """Rewritten by hand with its hash recomputed: the database cannot even parse it."""
    from audit.chaining import link_hash

    target = links[1]
    garbage = "this is not the JSON that was hashed"
    raw(
        "UPDATE audit_auditevent SET canonical = %s, hash = %s WHERE id = %s",
        [garbage, link_hash(target.prev_hash, target.chain, target.seq, garbage), target.pk],
    )
    found = _only_break()
    assert (found["seq"], found["event_id"]) == (2, target.pk)
    assert "columns differ" in str(found["problem"])
