"""Where the SIEM feed goes: a target URL, parsed and checked before anything is sent.

    syslog+tcp://siem.example.net:6514      RFC 5424 messages, octet-counted (RFC 6587)
    syslog+udp://siem.example.net:514       RFC 5424 messages, one datagram each (RFC 5426)
    file:///var/log/ccplatform/audit.jsonl  JSON Lines appended to a local file

A syslog URL may choose the facility: `?facility=local3` (default authpriv). The target's
`name` (scheme, host and port, or the path) keys its saved position, so changing only the
facility continues where the feed stopped, while a new host starts a new feed from the first
event.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import parse_qs, urlsplit

# RFC 5424 section 6.2.1 facility codes that suit an audit trail.
FACILITIES = {
    "auth": 4,
    "authpriv": 10,
    **{f"local{number}": 16 + number for number in range(8)},
}
DEFAULT_FACILITY = "authpriv"
NAME_LIMIT = 100  # ForwardingCursor.name


class TargetError(ValueError):
    """A target URL this feed cannot use; the message says what to write instead."""


class TargetKind(StrEnum):
    SYSLOG_TCP = "syslog+tcp"
    SYSLOG_UDP = "syslog+udp"
    FILE = "file"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    host: str = ""
    port: int = 0
    path: str = ""
    facility: int = FACILITIES[DEFAULT_FACILITY]

    @property
    def name(self) -> str:
        """A stable key for the feed's position (never holds credentials: URLs have none)."""
        where = self.path if self.kind is TargetKind.FILE else f"{self.host}:{self.port}"
        name = f"{self.kind}://{where}"
        if len(name) <= NAME_LIMIT:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        return f"{name[: NAME_LIMIT - 17]}~{digest}"

    def __str__(self) -> str:
        return self.name


EXAMPLES = "syslog+tcp://host:port, syslog+udp://host:port or file:///absolute/path.jsonl"


def parse_target(url: str) -> Target:
    """The target that `url` names, or TargetError saying what is wrong with it."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise TargetError(f"The target {text!r} is not a valid URL ({error}).") from None
    scheme = parts.scheme.lower()
    if scheme not in TargetKind.__members__.values():
        raise TargetError(f"The target {text!r} is not one of {EXAMPLES}.")
    kind = TargetKind(scheme)
    if parts.username or parts.password or parts.fragment:
        raise TargetError("The target URL takes no user, password or #fragment.")
    if kind is TargetKind.FILE:
        return Target(kind=kind, path=_file_path(parts.netloc, parts.path, parts.query))
    if not parts.hostname or port is None:
        raise TargetError(f"The target {text!r} needs a host and a port, as in {kind}://host:514.")
    if port == 0:
        raise TargetError("The target port must be between 1 and 65535.")
    return Target(kind=kind, host=parts.hostname, port=port, facility=_facility(parts.query))


def _file_path(netloc: str, path: str, query: str) -> str:
    if netloc not in ("", "localhost") or query:
        raise TargetError(
            "A file target is a local absolute path with three slashes: file:///var/log/a.jsonl"
        )
    if not path.startswith("/") or path.endswith("/") or ".." in PurePosixPath(path).parts:
        raise TargetError(f"The file target {path!r} must be an absolute path to a file.")
    return path


def _facility(query: str) -> int:
    options = parse_qs(query, keep_blank_values=True)
    unknown = set(options) - {"facility"}
    if unknown:
        raise TargetError(f"Unknown target option(s): {', '.join(sorted(unknown))}.")
    name = options.get("facility", [DEFAULT_FACILITY])[-1].lower()
    if name not in FACILITIES:
        raise TargetError(f"The facility must be one of {', '.join(FACILITIES)}.")
    return FACILITIES[name]
