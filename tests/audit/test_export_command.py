"""manage.py audit_export: filtered, streamed, written atomically, audited."""

from __future__ import annotations

import csv
import io
import json
import stat
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from audit.chaining import chain_for
from audit.exporting import COLUMNS
from audit.models import AuditEvent
from ccplatform.context import Actor
from tests.actions import record

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)
# Bulk rows go on chains no real writer of these tests appends to (their heads are not
# moved): the migration's role sync and the command's own export records have theirs.
BUSY_CHAINS = {chain_for("system", "migrate"), chain_for("system", "audit_export command")}
FREE_CHAINS = [chain for chain in range(settings.AUDIT_CHAINS) if chain not in BUSY_CHAINS]


def bulk_events(count: int, *, chain: int = FREE_CHAINS[-1]) -> None:
    """`count` rows inserted directly, one second apart from START: fast enough for tens of
    thousands. Their hashes are placeholders (exports do not verify chains)."""
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                occurred_at=START + timedelta(seconds=number),
                actor_kind="system",
                actor_id="bulk test",
                action="platform.tested",
                outcome="denied" if number % 2 else "allowed",
                reason=f"=formula {number}" if number % 10 == 0 else "",
                details={"n": number},
                chain=chain,
                seq=number + 1,
                prev_hash="0" * 64,
                hash="f" * 64,
                canonical="{}",
            )
            for number in range(count)
        ),
        batch_size=2000,
    )


def export(tmp_path: Path, *args: str, name: str = "out") -> Path:
    path = tmp_path / name
    call_command("audit_export", *args, "--output", str(path), stderr=io.StringIO())
    return path


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == list(COLUMNS)
        return [dict(zip(COLUMNS, row, strict=True)) for row in reader]


def test_csv_export_of_a_range_parses_back_newest_first(tmp_path: Path) -> None:
    bulk_events(30)
    path = export(
        tmp_path,
        "--format=csv",
        "--since=2026-01-01T00:00:05Z",
        "--until=2026-01-01T00:00:15Z",
    )
    rows = csv_rows(path)
    assert [row["seq"] for row in rows] == [str(seq) for seq in range(15, 5, -1)]
    assert rows[-1]["reason"] == ""
    assert next(row for row in rows if row["seq"] == "11")["reason"] == "'=formula 10"


def test_jsonl_export_with_filters_has_one_object_per_line(tmp_path: Path) -> None:
    bulk_events(20)
    record(actor=Actor.system("other"), action="customer.viewed")
    path = export(tmp_path, "--format=jsonl", "--action=platform.*", "--outcome=denied")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 10
    assert {(record["action"], record["outcome"]) for record in records} == {
        ("platform.tested", "denied")
    }


def test_the_file_is_private_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    bulk_events(3)
    path = export(tmp_path, "--format=csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(item.name for item in tmp_path.iterdir()) == ["out"]


def test_the_export_is_recorded_in_the_audit_log(tmp_path: Path) -> None:
    export(tmp_path, "--format=jsonl", "--outcome=failed")
    recorded = AuditEvent.objects.get(action="audit.exported")
    assert (recorded.actor_kind, recorded.actor_id) == ("system", "audit_export command")
    assert recorded.details == {
        "format": "jsonl",
        "via": "command",
        "filter": {"outcome": "failed"},
    }


def test_empty_range_gives_a_header_only_csv_and_an_empty_jsonl_file(tmp_path: Path) -> None:
    bulk_events(5)
    args = ("--until=2025-01-01T00:00:00Z",)
    assert csv_rows(export(tmp_path, "--format=csv", *args, name="a.csv")) == []
    assert export(tmp_path, "--format=jsonl", *args, name="a.jsonl").read_bytes() == b""


def test_without_output_the_export_goes_to_standard_output() -> None:
    bulk_events(2)
    out = io.StringIO()
    call_command("audit_export", "--format=jsonl", "--action=platform.tested", stdout=out)
    assert [json.loads(line)["seq"] for line in out.getvalue().splitlines()] == [2, 1]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--since", "yesterday"),
        ("--until", "2026-13-01"),
        ("--customer", "not-a-uuid"),
        ("--action", "Customer Viewed"),
        ("--outcome", "maybe"),
        ("--actor", "no.such.user"),
        ("--request-id", "x" * 65),
    ],
)
def test_a_malformed_filter_names_its_option_and_writes_nothing(
    tmp_path: Path, option: str, value: str
) -> None:
    with pytest.raises(CommandError, match=f"^{option}: "):
        export(tmp_path, "--format=csv", f"{option}={value}")
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_since_after_until_is_refused_on_until(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"^--until: Must be after"):
        export(tmp_path, "--format=csv", "--since=2026-02-01", "--until=2026-01-01")


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="format"):
        export(tmp_path, "--format=xlsx")


def test_a_missing_folder_is_a_readable_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"^--output: the folder .* does not exist"):
        export(tmp_path / "nowhere", "--format=csv")


def test_an_export_that_fails_midway_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk_events(10)
    (tmp_path / "out").write_text("the previous, complete export")

    def breaks_after_three(events: object) -> Iterator[AuditEvent]:
        yield from AuditEvent.objects.order_by("-id")[:3]
        raise RuntimeError("database went away")

    monkeypatch.setattr("audit.management.commands.audit_export.iterate", breaks_after_three)
    with pytest.raises(RuntimeError, match="went away"):
        export(tmp_path, "--format=csv")
    assert sorted(item.name for item in tmp_path.iterdir()) == ["out"]
    assert (tmp_path / "out").read_text() == "the previous, complete export"


def peak_bytes_of_export(tmp_path: Path, name: str) -> int:
    tracemalloc.start()
    try:
        export(tmp_path, "--format=csv", name=name)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_export_grows(tmp_path: Path) -> None:
    """20,000 events take no more memory than 2,000: rows are read in keyset chunks and
    written as they come. (Proves Python-side memory, as traced by tracemalloc; the database
    driver's own buffers for one chunk are included, the server's are not.)"""
    bulk_events(2_000, chain=FREE_CHAINS[0])
    small = peak_bytes_of_export(tmp_path, "small.csv")
    bulk_events(18_000, chain=FREE_CHAINS[1])
    large = peak_bytes_of_export(tmp_path, "large.csv")
    # + the two export records and the migration's role sync
    assert len(csv_rows(tmp_path / "large.csv")) == 20_000 + 3
    assert large < small * 1.5 + 256 * 1024, (small, large)
    assert large < 8 * 1024 * 1024, large
