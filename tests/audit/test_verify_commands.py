"""`audit_verify` and `audit_checkpoints` as an operator runs them."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import Alert, AuditEvent, Checkpoint
from tests.audit.tampering import on_one_chain, raw, record_events, rewrite_chain

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _chains() -> int:
    return len(set(AuditEvent.objects.values_list("chain", flat=True)))


def test_verify_reports_an_intact_log_and_signs_heads() -> None:
    record_events(3)
    # The three events and the migration's role sync (on a chain of its own, here).
    events, chains = AuditEvent.objects.count(), _chains()
    assert (events, chains) == (3 + 1, 2)
    output = _run("audit_verify")
    assert f"full verification: {events} events checked on {chains} chains" in output
    assert "intact" in output
    assert f"signed {chains} new checkpoint(s)" in output
    # Since then: the first run's own audit.verified event, on the command's chain.
    assert "1 events checked" in _run("audit_verify", "--incremental")


def test_verify_names_the_broken_link_exits_1_and_raises_an_alert() -> None:
    links = on_one_chain(record_events(4))
    raw("UPDATE audit_auditevent SET reason = 'hidden' WHERE id = %s", [links[1].pk])
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("audit_verify", stdout=out, stderr=StringIO())
    assert exited.value.code == 1
    assert f"chain {links[1].chain}: first broken link at seq 2 (event {links[1].pk})" in (
        out.getvalue()
    )
    assert Alert.objects.filter(rule="verification_failed").count() == 1


def test_an_exported_checkpoint_file_catches_a_rewrite_of_everything(tmp_path: Path) -> None:
    links = on_one_chain(record_events(3))
    _run("audit_verify")
    exported = tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoints", "--export", str(exported), stderr=StringIO())
    signed = Checkpoint.objects.count()  # the tampered chain's and the role sync's
    assert signed == 2
    assert f"all {signed} exported checkpoint(s) match" in _run(
        "audit_checkpoints", "--check", str(exported)
    )
    # Rewrite the chain consistently and drop the checkpoints: the database alone looks fine.
    rewrite_chain(
        links[0].chain,
        column="reason",
        value="rewritten",
        canonical_change=('"reason":""', '"reason":"rewritten"'),
    )
    raw("DELETE FROM audit_checkpoint")
    assert "intact" in _run("audit_verify", "--no-checkpoints")
    with pytest.raises(CommandError, match=f"1 of {signed} checkpoint"):
        _run("audit_checkpoints", "--check", str(exported))


def test_check_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    before = AuditEvent.objects.count()
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"chain": 1}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="line 1 is not an exported checkpoint"):
        _run("audit_checkpoints", "--check", str(bogus))
    with pytest.raises(CommandError, match="cannot read"):
        _run("audit_checkpoints", "--check", str(tmp_path / "missing.jsonl"))
    assert AuditEvent.objects.count() == before
