"""The JSON Lines file target, exactly once: append a batch, fsync, then record the position.

The position lives next to the file (`<path>.position`: the byte length that holds whole
batches, and the last seq per chain), replaced atomically (temporary file, fsync, rename).
A crash after the append and before the record leaves the file longer than the recorded
length; the next start cuts it back to that length and sends the batch again, so every event
is in the file once. A database position could not do this: it cannot be committed together
with a write to a file.

Rotation is supported: if the file is moved away (or emptied, as `copytruncate` does), the
feed starts a new file and continues from the recorded chain positions. A file that holds
events but has no position record, or is shorter than recorded yet not empty, was changed by
someone else: the feed refuses to guess.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audit.exporting import json_line
from audit.forwarding.base import (
    FeedError,
    Positions,
    positions_from_json,
    positions_to_json,
)
from audit.models import AuditEvent

FILE_MODE = 0o600
POSITION_SUFFIX = ".position"


@dataclass(frozen=True)
class FilePosition:
    """How many bytes of the file hold delivered batches, and which events those are."""

    offset: int
    chains: Positions


def position_path_of(path: Path) -> Path:
    return path.with_name(path.name + POSITION_SUFFIX)


def read_position(path: Path) -> FilePosition | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FeedError(f"Cannot read the position file {path}: {error.strerror}.") from None
    try:
        data = json.loads(text)
        offset = data["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError("bad offset")
        return FilePosition(offset=offset, chains=positions_from_json(data["chains"]))
    except (ValueError, KeyError, TypeError):
        raise FeedError(
            f"The position file {path} is damaged; restore it from a backup, or move the feed "
            "file and its position file away to start the feed again from the first event."
        ) from None


def write_position(path: Path, position: FilePosition) -> None:
    """Replace the position file atomically and durably (the rename is fsynced too)."""
    text = json.dumps({"offset": position.offset, "chains": positions_to_json(position.chains)})
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.write(descriptor, text.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    _fsync_directory(path.parent)


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class JsonlFileSink:
    """An open feed file, locked against a second writer, recovered to its recorded length."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.position_path = position_path_of(self.path)
        if not self.path.parent.is_dir():
            raise FeedError(f"The folder {self.path.parent} does not exist.")
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        except OSError as error:
            raise FeedError(f"Cannot open {self.path}: {error.strerror}.") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._position = self._recover()
        except BlockingIOError:
            os.close(self._fd)
            raise FeedError(f"Another feed is writing to {self.path}.") from None
        except BaseException:
            os.close(self._fd)
            raise

    def _recover(self) -> FilePosition:
        size = os.fstat(self._fd).st_size
        recorded = read_position(self.position_path)
        if recorded is None:
            if size:
                raise FeedError(
                    f"{self.path} holds data but has no position file ({self.position_path}); "
                    "move it away (or restore its position file) so no event is sent twice."
                )
            recorded = FilePosition(offset=0, chains={})
            write_position(self.position_path, recorded)
        elif size == 0 and recorded.offset:
            # Rotated: a new, empty file continues from the recorded chain positions.
            recorded = FilePosition(offset=0, chains=recorded.chains)
            write_position(self.position_path, recorded)
        elif size < recorded.offset:
            raise FeedError(
                f"{self.path} is shorter than its position file records ({size} < "
                f"{recorded.offset} bytes): it was changed by someone else. Move both away "
                "to start again, or restore the file."
            )
        elif size > recorded.offset:
            # A batch written but not recorded (a crash between the two): send it again.
            os.ftruncate(self._fd, recorded.offset)
            os.fsync(self._fd)
        return recorded

    def positions(self) -> Positions:
        return dict(self._position.chains)

    def deliver(self, chain: int, events: Sequence[AuditEvent]) -> None:
        data = "".join(json_line(event) for event in events).encode()
        try:
            written = 0
            while written < len(data):
                written += os.write(self._fd, data[written:])
            os.fsync(self._fd)
        except OSError as error:
            raise FeedError(f"Cannot write to {self.path}: {error.strerror}.") from None
        after = FilePosition(
            offset=self._position.offset + len(data),
            chains={**self._position.chains, chain: events[-1].seq},
        )
        try:
            write_position(self.position_path, after)
        except OSError as error:
            raise FeedError(
                f"Cannot record the position in {self.position_path}: {error.strerror}."
            ) from None
        self._position = after

    def close(self) -> None:
        os.close(self._fd)  # also releases the lock
