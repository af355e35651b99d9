"""Rotate field-encryption and blind-index keys in resumable batches, and report what still
uses retired key versions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ccplatform.callers import Caller, Via
from ccplatform.crypto.keyring import KeyRingError
from ccplatform.crypto.rotation import (
    COMMAND_OPTION,
    DEFAULT_BATCH_SIZE,
    Kind,
    RotationJob,
    RunResult,
    VersionReport,
    by_version,
    environment_instructions,
    rotation_jobs,
    rotation_run,
)
from ccplatform.tasks import rotate_keys
from customers.services.rotation import local_key_version_add

BAR_WIDTH = 20
RING_LABEL = {Kind.KEK: "field-encryption", Kind.BLIND_INDEX: "blind-index"}
OPERATOR = Caller.system("rotate_keys", via=Via.COMMAND)


def progress_line(job: RotationJob, result: RunResult) -> str:
    """`data keys: 500/1200 re-wrapped [########------------]  42%`"""
    looked_at = result.rotated + len(result.failed)
    share = looked_at / result.total if result.total else 1.0
    filled = min(BAR_WIDTH, round(share * BAR_WIDTH))
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    failed = f", {len(result.failed)} failed" if result.failed else ""
    return (
        f"{job.label}: {result.rotated}/{result.total} {job.verb}{failed} "
        f"[{bar}] {min(100, round(share * 100)):3d}%"
    )


def report_lines(report: VersionReport) -> list[str]:
    lines = [
        f"{report.label}: active version {report.active}; key ring holds {', '.join(report.ring)}"
    ]
    for version in by_version(set(report.ring) | set(report.counts)):
        state = "active" if version == report.active else "retired"
        if version not in report.ring:
            state = "NOT IN THE KEY RING: these rows cannot be read"
        lines.append(
            f"  version {version}: {report.counts.get(version, 0)} {report.unit} ({state})"
        )
    if report.retired_total:
        more = report.retired_total - len(report.retired_ids)
        lines.append(
            f"  still on retired versions: {report.retired_total} {report.retired_unit}: "
            + ", ".join(report.retired_ids)
            + (f" and {more} more" if more > 0 else "")
        )
    else:
        lines.append(f"  nothing left on retired versions ({report.unit})")
    return lines


class Command(BaseCommand):
    help = (
        "Key rotation. --kek re-wraps every data key not on the active field-encryption key "
        "(KEK) version; --blind-index recomputes search lookups not on the active blind-index "
        "key version. Both work in batches, each committed with one audit event, print "
        "progress, and can be interrupted and run again. --report shows rows per key version. "
        "--new-kek-version / --new-blind-index-version add a version to the embedded "
        "default's key file (in production, they print how to do it through the environment)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kek", action="store_true", help="re-wrap data keys")
        parser.add_argument(
            "--blind-index", action="store_true", help="recompute blind-index lookups"
        )
        parser.add_argument(
            "--report",
            action="store_true",
            help="rows per key version and rows still on retired versions (after any rotation)",
        )
        parser.add_argument(
            "--new-kek-version", action="store_true", help="add a field-encryption key version"
        )
        parser.add_argument(
            "--new-blind-index-version", action="store_true", help="add a blind-index key version"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N")
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            metavar="N",
            help="stop after N batches (run again to continue where it stopped)",
        )
        parser.add_argument(
            "--in-worker",
            action="store_true",
            help="send the rotation to a Celery worker instead of running it here",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = [kind for kind in Kind if options[kind.value]]
        new_versions = [
            kind
            for kind, option in (
                (Kind.KEK, "new_kek_version"),
                (Kind.BLIND_INDEX, "new_blind_index_version"),
            )
            if options[option]
        ]
        if not (kinds or new_versions or options["report"]):
            raise CommandError(
                "Say what to do: --kek, --blind-index, --report, --new-kek-version or "
                "--new-blind-index-version."
            )
        if new_versions and (kinds or options["report"]):
            raise CommandError(
                "Add a key version on its own: every process must be restarted with it "
                "before anything is rotated to it."
            )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["max_batches"] is not None and options["max_batches"] < 1:
            raise CommandError("--max-batches must be at least 1.")
        if options["max_batches"] is not None and options["in_worker"]:
            raise CommandError("--max-batches limits a run here; a worker runs until done.")
        for kind in new_versions:
            self._add_version(kind)
        failures = 0
        for kind in kinds:
            for job in rotation_jobs(kind):
                if options["in_worker"]:
                    self._send_to_worker(job, options)
                else:
                    failures += self._rotate(job, options)
        if options["report"]:
            for job in rotation_jobs():
                self.stdout.write("\n".join(report_lines(job.report())))
        if failures:
            raise CommandError(
                f"{failures} row(s) failed their integrity check and stay on a retired "
                "version (ids in the audit log and in --report)."
            )

    def _add_version(self, kind: Kind) -> None:
        if not settings.KEYS_FROM_LOCAL_FILE:
            raise CommandError(environment_instructions(kind))
        try:
            version = local_key_version_add(caller=OPERATOR, kind=kind)
        except KeyRingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Added {RING_LABEL[kind]} key version {version} (now active) to {settings.KEY_FILE}.\n"
            f"Restart every process (web, worker, beat) so that all of them can read it, then "
            f"run `manage.py rotate_keys {COMMAND_OPTION[kind]}`."
        )

    def _rotate(self, job: RotationJob, options: dict[str, Any]) -> int:
        result = rotation_run(
            job,
            caller=OPERATOR,
            batch_size=options["batch_size"],
            max_batches=options["max_batches"],
            on_batch=lambda progress: self.stdout.write(progress_line(job, progress)),
        )
        if result.batches == 0:
            self.stdout.write(f"{job.label}: nothing to do, all on the active version.")
        elif result.complete:
            self.stdout.write(
                f"{job.label}: done, {result.rotated} {job.verb} in {result.batches} batch(es)."
            )
        else:
            self.stdout.write(
                f"{job.label}: stopped after {result.batches} batch(es) (--max-batches); "
                f"{result.remaining} still on retired versions: run the command again to "
                "continue."
            )
        return len(result.failed)

    def _send_to_worker(self, job: RotationJob, options: dict[str, Any]) -> None:
        sent = rotate_keys.delay(job=job.name, batch_size=options["batch_size"])
        self.stdout.write(f"{job.label}: sent to a worker (task {sent.id}).")
