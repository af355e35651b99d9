"""What a verification run walks: which chains, from which trusted link, and the checks of
checkpoints and archive seals that decide those starting points."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.db import connection

from audit.archive_seals import archived_starts
from audit.checkpoints import latest_checkpoints, signature_valid
from audit.models import ChainHead, Checkpoint
from audit.models.chains import GENESIS_HASH
from audit.verification.walk import Report, Start, walk_chain_in_python


def _check_checkpoints(report: Report, checkpoints: Iterable[Checkpoint]) -> None:
    """Each checkpoint's signature, and that the event it names still has its hash."""
    wanted = list(checkpoints)
    if not wanted:
        return
    found: dict[tuple[int, int], str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            condition = " OR ".join("(chain = %s AND seq = %s)" for _ in part)
            cursor.execute(
                f"SELECT chain, seq, hash FROM audit_auditevent WHERE {condition}",  # noqa: S608  # nosec B608
                [value for checkpoint in part for value in (checkpoint.chain, checkpoint.seq)],
            )
            found.update({(chain, seq): hash_ for chain, seq, hash_ in cursor.fetchall()})
    for checkpoint in wanted:
        report.chains.add(checkpoint.chain)
        stored = found.get((checkpoint.chain, checkpoint.seq))
        if not signature_valid(checkpoint):
            report.broken(
                checkpoint.chain, checkpoint.seq, None, "the checkpoint's signature is invalid"
            )
        elif stored is None:
            report.broken(
                checkpoint.chain,
                checkpoint.seq,
                checkpoint.event_id,
                "a signed checkpoint names this link, which is gone (deleted or truncated)",
            )
        elif stored != checkpoint.hash:
            report.broken(
                checkpoint.chain,
                checkpoint.seq,
                checkpoint.event_id,
                "differs from its signed checkpoint (rewritten)",
            )


def _archived(report: Report) -> dict[int, tuple[int, str]]:
    """Where each chain resumes after dropped archive ranges; a forged seal is a break."""
    archived = archived_starts()
    for archive in archived.forged:
        for chain, (first, _last, _hash) in archive.chains.items():
            report.broken(int(chain), first, None, "the seal of its dropped archive is invalid")
    return archived.starts


def walk_chains(
    report: Report,
    chains: Sequence[tuple[int, Start]],
    heads: dict[int, ChainHead],
    progress: Callable[[int], None],
) -> None:
    """Walk each (chain, start) in Python and compare its end with the chain's head (SQLite;
    PostgreSQL checks in SQL: audit.verification.postgresql)."""
    for chain, start in chains:
        report.chains.add(chain)
        if chain in report.breaks:  # already broken (a checkpoint or a seal)
            continue
        walk = walk_chain_in_python(report, chain, start)
        walk.finish(heads.get(chain))
        progress(report.events_checked)


def full_plan(report: Report, heads: dict[int, ChainHead]) -> list[tuple[int, Start]]:
    """Every chain that has events or a head, from its first link (or its archived end)."""
    starts = _archived(report)
    _check_checkpoints(
        report,
        (
            checkpoint
            for checkpoint in Checkpoint.objects.order_by("chain", "seq")
            if checkpoint.seq > starts.get(checkpoint.chain, (0, ""))[0]  # not archived away
        ),
    )
    chains = set(chains_with_events()) | {chain for chain, head in heads.items() if head.seq}
    return [(chain, starts.get(chain, (0, GENESIS_HASH))) for chain in sorted(chains)]


def incremental_plan(report: Report, heads: dict[int, ChainHead]) -> list[tuple[int, Start]]:
    """Every chain with a head, from its newest checkpoint (or its archived end)."""
    archived = _archived(report)
    checkpoints = {
        chain: checkpoint
        for chain, checkpoint in latest_checkpoints().items()
        if checkpoint.seq > archived.get(chain, (0, ""))[0]  # not archived away
    }
    _check_checkpoints(report, checkpoints.values())
    plan = []
    for chain in sorted(set(heads) | set(checkpoints)):
        checkpoint = checkpoints.get(chain)
        if checkpoint is not None:
            # Signed and re-checked above: the chain is intact up to here.
            report.intact_ends[chain] = (checkpoint.seq, checkpoint.hash, checkpoint.event_id)
            plan.append((chain, (checkpoint.seq, checkpoint.hash)))
        else:
            plan.append((chain, archived.get(chain, (0, GENESIS_HASH))))
    return plan


def chains_with_events() -> list[int]:
    """The chain numbers that have events (a skip scan of the (chain, seq) index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE found(chain) AS ("
            " SELECT min(chain) FROM audit_auditevent"
            " UNION ALL"
            " SELECT (SELECT min(chain) FROM audit_auditevent WHERE chain > found.chain)"
            " FROM found WHERE found.chain IS NOT NULL"
            ") SELECT chain FROM found WHERE chain IS NOT NULL"
        )
        return [chain for (chain,) in cursor.fetchall()]
