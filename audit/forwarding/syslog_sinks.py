"""The syslog targets: RFC 5424 over TCP or UDP, with the position in ForwardingCursor.

At least once, not exactly once: the cursor is saved after each batch is handed to the
network, so a crash between the two sends that batch again on restart (receivers drop the
repeat by the event id in the structured data). Syslog has no receipt: TCP tells us the
bytes left, not that the receiver stored them, and UDP can lose datagrams on the way. Where
every event must provably arrive, use the file target and ship the file.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable, Sequence

from audit.forwarding.base import FeedError, Positions, positions_from_json, positions_to_json
from audit.forwarding.syslog import datagram, local_hostname, octet_counted, syslog_message
from audit.forwarding.targets import Target, TargetKind
from audit.models import AuditEvent, ForwardingCursor

CONNECT_SECONDS = 10.0
SEND_SECONDS = 30.0


def load_cursor(name: str) -> Positions:
    cursor = ForwardingCursor.objects.filter(name=name).first()
    if cursor is None:
        return {}
    try:
        return positions_from_json(cursor.positions)
    except ValueError:
        raise FeedError(f"The saved position of {name} is damaged.") from None


def save_cursor(name: str, positions: Positions) -> None:
    ForwardingCursor.objects.update_or_create(
        name=name, defaults={"positions": positions_to_json(positions)}
    )


def _problem(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


class _TcpConnection:
    """One connection per pass, messages octet-counted (RFC 6587) so they may span lines."""

    def __init__(self, target: Target) -> None:
        self.target = target
        try:
            self._socket = socket.create_connection(
                (target.host, target.port), timeout=CONNECT_SECONDS
            )
        except OSError as error:
            raise FeedError(f"Cannot connect to {target}: {_problem(error)}.") from None
        self._socket.settimeout(SEND_SECONDS)

    def send(self, messages: Iterable[str]) -> None:
        try:
            self._socket.sendall(b"".join(octet_counted(message) for message in messages))
        except OSError as error:
            raise FeedError(f"Sending to {self.target} failed: {_problem(error)}.") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # an orderly end, so the last frame is read
            self._socket.shutdown(socket.SHUT_WR)
        self._socket.close()


class _UdpSocket:
    """One datagram per message (RFC 5426); long messages are cut to UDP_MAX_BYTES."""

    def __init__(self, target: Target) -> None:
        self.target = target
        try:
            family, kind, protocol, _name, address = socket.getaddrinfo(
                target.host, target.port, type=socket.SOCK_DGRAM
            )[0]
        except OSError as error:
            raise FeedError(f"Cannot resolve {target}: {_problem(error)}.") from None
        self._address = address
        self._socket = socket.socket(family, kind, protocol)
        self._socket.settimeout(SEND_SECONDS)

    def send(self, messages: Iterable[str]) -> None:
        try:
            for message in messages:
                self._socket.sendto(datagram(message), self._address)
        except OSError as error:
            raise FeedError(f"Sending to {self.target} failed: {_problem(error)}.") from None

    def close(self) -> None:
        self._socket.close()


class SyslogSink:
    """A syslog target and its saved position (ForwardingCursor named after the target)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._positions = load_cursor(target.name)
        self._hostname = local_hostname()
        self._transport = (
            _TcpConnection(target) if target.kind is TargetKind.SYSLOG_TCP else _UdpSocket(target)
        )

    def positions(self) -> Positions:
        return dict(self._positions)

    def deliver(self, chain: int, events: Sequence[AuditEvent]) -> None:
        self._transport.send(
            syslog_message(event, facility=self.target.facility, hostname=self._hostname)
            for event in events
        )
        self._positions[chain] = events[-1].seq
        save_cursor(self.target.name, self._positions)

    def close(self) -> None:
        self._transport.close()
