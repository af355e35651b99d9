"""The JSON Lines file feed: exactly once across crashes, rotation, and a second writer."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from audit.forwarding import FeedError, file_sink, forward_pass, parse_target
from audit.forwarding.file_sink import FilePosition, JsonlFileSink
from audit.forwarding.targets import Target
from audit.models import AuditEvent
from tests.audit.test_forwarding_syslog import logged_before, record

pytestmark = pytest.mark.django_db


def file_target(tmp_path: Path) -> Target:
    return parse_target(f"file://{tmp_path / 'audit.jsonl'}")


def lines_of(target: Target) -> list[dict[str, object]]:
    return [json.loads(line) for line in Path(target.path).read_text().splitlines()]


def sidecar(target: Target) -> dict[str, object]:
    loaded = json.loads(Path(target.path + ".position").read_text())
    assert isinstance(loaded, dict)
    return loaded


def assert_each_once_in_chain_order(target: Target, events: list[AuditEvent]) -> None:
    written = lines_of(target)
    assert sorted(int(str(line["id"])) for line in written) == sorted(e.pk for e in events)
    by_chain: dict[object, list[int]] = {}
    for line in written:
        by_chain.setdefault(line["chain"], []).append(int(str(line["seq"])))
    for seqs in by_chain.values():
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


def test_file_feed_appends_each_event_once_and_records_its_position(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    events = logged_before() + record(10)
    assert forward_pass(target, batch_size=3).delivered == len(events)
    assert_each_once_in_chain_order(target, events)
    position = sidecar(target)
    assert position["offset"] == Path(target.path).stat().st_size
    chains = {event.chain for event in events}
    assert position["chains"] == {
        str(chain): max(event.seq for event in events if event.chain == chain) for chain in chains
    }
    assert stat.S_IMODE(Path(target.path).stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(target.path + ".position").stat().st_mode) == 0o600

    more = record(4, start=10)
    assert forward_pass(target, batch_size=3).delivered == 4
    assert forward_pass(target).delivered == 0
    assert_each_once_in_chain_order(target, events + more)


def test_a_crash_between_writing_and_recording_is_undone_on_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = file_target(tmp_path)
    earlier = logged_before()
    events = record(12, actors=1)  # one chain, batches of 4
    chain = events[0].chain
    assert all(event.chain < chain for event in earlier)  # written first, in chain order
    real_write = file_sink.write_position
    recorded: list[FilePosition] = []

    def killed_at_the_chains_second_batch(path: Path, position: FilePosition) -> None:
        if position.chains.get(chain) == 8:
            raise KeyboardInterrupt("killed after the append, before the position")
        if position.offset:
            recorded.append(position)
        real_write(path, position)

    monkeypatch.setattr(file_sink, "write_position", killed_at_the_chains_second_batch)
    with pytest.raises(KeyboardInterrupt):
        forward_pass(target, batch_size=4)
    # The chain's second batch is in the file, not recorded.
    assert len(lines_of(target)) == len(earlier) + 8
    assert sidecar(target)["offset"] == recorded[-1].offset
    assert recorded[-1].chains.get(chain) == 4

    monkeypatch.setattr(file_sink, "write_position", real_write)
    assert forward_pass(target, batch_size=4).delivered == 8
    assert_each_once_in_chain_order(target, earlier + events)
    assert [line["seq"] for line in lines_of(target) if line["chain"] == chain] == list(
        range(1, 13)
    )


def test_a_torn_write_is_cut_back_on_restart(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    events = logged_before() + record(5)
    forward_pass(target)
    with Path(target.path).open("a") as feed:
        feed.write('{"id": 999, "half a li')  # the machine lost power mid-write
    more = record(2, start=5)
    assert forward_pass(target).delivered == 2
    assert_each_once_in_chain_order(target, events + more)


def test_a_failing_disk_leaves_the_position_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = file_target(tmp_path)
    earlier = logged_before()
    record(3, actors=1)
    forward_pass(target)
    before = sidecar(target)
    record(3, actors=1, start=3)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(FeedError, match="No space left on device"):
        forward_pass(target)
    monkeypatch.undo()
    assert sidecar(target) == before
    assert forward_pass(target).delivered == 3
    assert len(lines_of(target)) == len(earlier) + 6


def test_a_rotated_file_continues_in_a_new_file(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    first = logged_before() + record(4)
    forward_pass(target)
    Path(target.path).rename(tmp_path / "audit.jsonl.1")
    second = record(3, start=4)
    assert forward_pass(target).delivered == 3
    assert sorted(int(str(line["id"])) for line in lines_of(target)) == sorted(e.pk for e in second)
    assert len((tmp_path / "audit.jsonl.1").read_text().splitlines()) == len(first)


def test_a_file_emptied_by_copytruncate_continues(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    record(4)
    forward_pass(target)
    Path(target.path).write_text("")
    record(2, start=4)
    assert forward_pass(target).delivered == 2
    assert len(lines_of(target)) == 2
    assert sidecar(target)["offset"] == Path(target.path).stat().st_size


def test_a_file_with_events_but_no_position_is_refused(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    Path(target.path).write_text('{"id": 1}\n')
    record(1)
    with pytest.raises(FeedError, match="no position file"):
        forward_pass(target)
    assert Path(target.path).read_text() == '{"id": 1}\n'


def test_a_file_shorter_than_recorded_is_refused(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    record(3)
    forward_pass(target)
    Path(target.path).write_text('{"id": 1}\n')
    with pytest.raises(FeedError, match="shorter than its position file records"):
        forward_pass(target)


def test_a_damaged_position_file_is_refused(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    Path(target.path + ".position").write_text("{not json")
    with pytest.raises(FeedError, match="is damaged"):
        forward_pass(target)


def test_a_missing_folder_is_a_readable_error(tmp_path: Path) -> None:
    target = parse_target(f"file://{tmp_path}/missing/audit.jsonl")
    with pytest.raises(FeedError, match="does not exist"):
        forward_pass(target)


def test_only_one_writer_at_a_time(tmp_path: Path) -> None:
    target = file_target(tmp_path)
    holder = JsonlFileSink(target.path)
    try:
        with pytest.raises(FeedError, match="Another feed is writing"):
            JsonlFileSink(target.path)
    finally:
        holder.close()
