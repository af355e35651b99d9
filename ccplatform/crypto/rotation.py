"""Key rotation's runner: jobs that re-wrap data keys under the active KEK or recompute blind
indexes, in resumable batches, with progress and a report of what still uses retired key
versions.

A job works through the rows that are not on the active key version, ordered by id: each
batch starts after the last id of the previous one (keyset pagination), so a row that fails
its integrity check is passed over and reported instead of stopping the run. Each batch is
one transaction with one audit event: an interrupted run loses at most the batch in flight,
and running again picks up exactly the rows still on a retired version.

Field values need no re-encryption for a KEK rotation: they are sealed with the subject's
data key, which stays the same; only its wrapping changes.

The jobs belong to the apps that own the data (customers' data keys and lookups:
customers.services.rotation, with `manage.py rotate_keys`; authenticator secrets:
accounts.services.mfa) and are registered from their AppConfig.ready (`register`); each job
records its own audit events. So this base package imports neither those apps nor the
audit log.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet

from ccplatform.callers import Caller
from ccplatform.crypto.data_keys import data_key_rewrap
from ccplatform.crypto.keyring import KeyRing
from ccplatform.crypto.providers import DecryptionError, key_provider
from ccplatform.gate import require
from ccplatform.jobs import Budget
from ccplatform.models import DataKeyFields
from ccplatform.permissions import can_rotate_keys

DEFAULT_BATCH_SIZE = 500
REPORT_ID_LIMIT = 20


class Kind(StrEnum):
    KEK = "kek"  # field-encryption key-encryption keys (they wrap the data keys)
    BLIND_INDEX = "blind_index"


RING_SETTING = {Kind.KEK: "FIELD_ENCRYPTION_KEYRING", Kind.BLIND_INDEX: "BLIND_INDEX_KEYRING"}
RING_VARIABLE = {Kind.KEK: "FIELD_ENCRYPTION_KEYS", Kind.BLIND_INDEX: "BLIND_INDEX_KEYS"}
ACTIVE_VARIABLE = {
    Kind.KEK: "FIELD_ENCRYPTION_ACTIVE_KEY",
    Kind.BLIND_INDEX: "BLIND_INDEX_ACTIVE_KEY",
}
COMMAND_OPTION = {Kind.KEK: "--kek", Kind.BLIND_INDEX: "--blind-index"}


def keyring(kind: Kind) -> KeyRing:
    ring: KeyRing = getattr(settings, RING_SETTING[kind])
    return ring


def by_version(versions: Iterable[str]) -> list[str]:
    """Versions in numeric order ("2" before "10")."""
    return sorted(versions, key=lambda version: (len(version), version))


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: rows looked at, moved to the active version, failed (their ids)."""

    seen: int
    rotated: int
    failed: list[str]
    last: str | None  # the id the next batch starts after


@dataclass(frozen=True)
class VersionReport:
    """Rows per key version for one job, and some of the rows still on retired versions."""

    label: str
    unit: str
    active: str
    ring: list[str]
    counts: dict[str, int]
    retired_total: int
    retired_unit: str
    retired_ids: list[str]


@dataclass
class RunResult:
    """The outcome of one run of a job (possibly stopped early by `max_batches`)."""

    job: str
    total: int  # rows to rotate when the run started
    rotated: int = 0
    failed: list[str] = field(default_factory=list)
    batches: int = 0
    complete: bool = False  # every row that needed rotating was looked at
    last: str | None = None
    remaining: int = 0  # rows still on retired versions afterwards (failed ones included)


class RotationJob(ABC):
    """The rows of one table that carry a key version, and how to move them to the active one."""

    name: ClassVar[str]  # registry key, also used by the Celery task
    kind: ClassVar[Kind]
    label: ClassVar[str]  # "data keys": progress reads "data keys: 500/1200 re-wrapped"
    verb: ClassVar[str]

    @abstractmethod
    def pending(self) -> int:
        """How many rows (units of progress) are not on the active version."""

    @abstractmethod
    def batch(self, *, caller: Caller, after: str | None, size: int) -> BatchOutcome:
        """Rotate up to `size` rows with ids after `after`: one transaction, one audit event."""

    @abstractmethod
    def report(self, *, limit: int = REPORT_ID_LIMIT) -> VersionReport: ...


_JOBS: dict[str, RotationJob] = {}


def register(job: RotationJob) -> None:
    _JOBS[job.name] = job


def rotation_jobs(kind: Kind | None = None) -> list[RotationJob]:
    return [job for job in _JOBS.values() if kind is None or job.kind == kind]


def rotation_job(name: str) -> RotationJob:
    try:
        return _JOBS[name]
    except KeyError:
        raise ValueError(f"no rotation job {name!r}; known: {', '.join(_JOBS)}") from None


def rotation_run(
    job: RotationJob,
    *,
    caller: Caller,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    after: str | None = None,
    on_batch: Callable[[RunResult], None] | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Run batches until every pending row was looked at, `max_batches` have run, or the
    `budget` (a task's slice of time) is spent.

    Each batch commits on its own; `on_batch` (progress) is called after each commit.
    """
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    require(caller, can_rotate_keys(caller), resource=("keys", job.name))
    result = RunResult(job=job.name, total=job.pending(), last=after)
    while max_batches is None or result.batches < max_batches:
        outcome = job.batch(caller=caller, after=result.last, size=batch_size)
        if outcome.seen == 0:
            result.complete = True
            break
        result.batches += 1
        result.rotated += outcome.rotated
        result.failed += outcome.failed
        result.last = outcome.last
        if on_batch is not None:
            on_batch(result)
        if outcome.seen < batch_size:
            result.complete = True
            break
        if budget is not None and budget.spent:
            break
    result.remaining = job.pending()
    return result


class DataKeyRewrap(RotationJob):
    """Data keys (or secrets kept like them) on the rows of `model` (DataKeyFields), wrapped
    under a retired KEK version, re-wrapped under the active one; the ids reported are the
    rows' ids.

    The app that owns the model subclasses it: it names the model and records each batch's
    audit event (`record_batch`, called inside the batch's transaction), so this package
    needs no audit log of its own.
    """

    kind = Kind.KEK
    verb = "re-wrapped"
    model: ClassVar[type[DataKeyFields]]
    # What the wrapping is bound to must be loaded too (data_key_subject).
    columns: ClassVar[tuple[str, ...]] = ("pk", "data_key_kek_version", "data_key_wrapped")

    @abstractmethod
    def record_batch(self, *, caller: Caller, failed: bool, details: dict[str, object]) -> None:
        """Record the batch's one audit event (`failed`: some rows could not be re-wrapped)."""

    def _retired(self) -> QuerySet[DataKeyFields]:
        return self.model._default_manager.exclude(
            data_key_kek_version=key_provider().active_version
        )

    def pending(self) -> int:
        return self._retired().count()

    @transaction.atomic
    def batch(self, *, caller: Caller, after: str | None, size: int) -> BatchOutcome:
        active = key_provider().active_version
        # Locked, so two runs (a command and a task) never re-wrap the same key at once;
        # only the key columns are read, however wide the subject's row.
        rows = self._retired().order_by("pk").only(*self.columns).select_for_update(of=("self",))
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows[:size])
        if not batch:
            return BatchOutcome(seen=0, rotated=0, failed=[], last=after)
        rotated, failed, previous = 0, [], set()
        for row in batch:
            previous.add(row.data_key_kek_version)
            try:
                if data_key_rewrap(row):
                    rotated += 1
            except DecryptionError:
                # Tampered, or wrapped under a version no longer in the key ring: left as
                # it is, named in the audit event and in the report.
                failed.append(str(row.pk))
        self.record_batch(
            caller=caller,
            failed=bool(failed),
            details={
                "kek_version": active,
                "from_versions": by_version(previous),
                "holder": self.model._meta.label_lower,
                "rewrapped": rotated,
                "failed": len(failed),
                "failed_data_keys": failed,
                "first_id": str(batch[0].pk),
                "last_id": str(batch[-1].pk),
            },
        )
        return BatchOutcome(seen=len(batch), rotated=rotated, failed=failed, last=str(batch[-1].pk))

    def report(self, *, limit: int = REPORT_ID_LIMIT) -> VersionReport:
        counts = {
            row["data_key_kek_version"]: row["rows"]
            for row in self.model._default_manager.values("data_key_kek_version")
            .order_by()
            .annotate(rows=Count("pk"))
        }
        retired = self._retired()
        return VersionReport(
            label=f"{self.label} (field-encryption KEK)",
            unit=self.label,
            active=key_provider().active_version,
            ring=by_version(keyring(Kind.KEK).keys),
            counts=counts,
            retired_total=retired.count(),
            retired_unit=self.label,
            retired_ids=[
                str(pk) for pk in retired.order_by("pk").values_list("pk", flat=True)[:limit]
            ],
        )


def environment_instructions(kind: Kind) -> str:
    """How to add a key version where keys come from the environment (production)."""
    variable, active = RING_VARIABLE[kind], ACTIVE_VARIABLE[kind]
    version = str(max(int(existing) for existing in keyring(kind).keys) + 1)
    return "\n".join(
        [
            f"Keys come from {variable} (or {variable}_FILE) here, which this command does "
            f"not change. To add version {version}:",
            f"  1. python -m ccplatform.crypto.keygen --add-to - < file-holding-{variable}",
            f"     prints the spec with a new version {version} (reading it from standard "
            "input keeps the keys out of your shell history).",
            f"  2. Store it as {variable} in your secret store; if {active} is set, set it "
            f"to {version}.",
            "  3. Restart every process (web, worker, beat), so that all of them can read "
            f"version {version} before anything is written with it.",
            f"  4. Run `manage.py rotate_keys {COMMAND_OPTION[kind]}`, then "
            "`manage.py rotate_keys --report`; remove a retired version from the spec only "
            "when the report shows nothing left on it.",
        ]
    )
