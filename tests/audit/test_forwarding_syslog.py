"""The syslog feed against real TCP and UDP listeners on 127.0.0.1: frames, order, resume."""

from __future__ import annotations

import queue
import re
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection as db_connection

from audit.chaining import chain_for
from audit.forwarding import FeedError, forward_pass, parse_target, syslog_sinks
from audit.forwarding.locking import single_pass
from audit.models import AuditEvent, ForwardingCursor
from audit.services import audit_record
from ccplatform.context import Actor
from tests.actions import TESTED

pytestmark = pytest.mark.django_db

WAIT_SECONDS = 10  # a ceiling for a listener thread to hand over; tests never sleep
SD = re.compile(r'\[ccp@32473 id="(\d+)" chain="(\d+)" seq="(\d+)"\]')


@dataclass(frozen=True)
class Received:
    id: int
    chain: int
    seq: int
    message: str


def parse(message: str) -> Received:
    found = SD.search(message)
    assert found, message
    return Received(int(found[1]), int(found[2]), int(found[3]), message)


def octet_frames(data: bytes) -> list[str]:
    """Split an RFC 6587 octet-counted stream; fails on a torn or malformed frame."""
    messages = []
    while data:
        length, space, rest = data.partition(b" ")
        assert space, data[:40]
        assert length.isdigit(), data[:40]
        size = int(length)
        assert len(rest) >= size, "a frame was cut short"
        messages.append(rest[:size].decode())
        data = rest[size:]
    return messages


class _Server(threading.Thread):
    def __init__(self, server: socketserver.BaseServer) -> None:
        super().__init__(daemon=True)
        self.server = server

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.05)

    @property
    def url_port(self) -> int:
        return int(self.server.server_address[1])  # type: ignore[index]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tcp_listener() -> Iterator[tuple[str, queue.Queue[list[str]]]]:
    """A syslog-over-TCP receiver; each connection's messages arrive on the queue at EOF."""
    connections: queue.Queue[list[str]] = queue.Queue()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            connections.put(octet_frames(self.rfile.read()))

    server = _Server(socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler))
    server.start()
    yield f"syslog+tcp://127.0.0.1:{server.url_port}", connections
    server.stop()


@pytest.fixture
def udp_listener() -> Iterator[tuple[str, queue.Queue[str]]]:
    datagrams: queue.Queue[str] = queue.Queue()

    class Handler(socketserver.DatagramRequestHandler):
        def handle(self) -> None:
            datagrams.put(self.rfile.read().decode())

    server = _Server(socketserver.UDPServer(("127.0.0.1", 0), Handler))
    server.start()
    yield f"syslog+udp://127.0.0.1:{server.url_port}", datagrams
    server.stop()


def logged_before() -> list[AuditEvent]:
    """What the log held before the test wrote anything: the role sync that every migrate
    records (accounts.roles). A feed sends it like any other event."""
    return list(AuditEvent.objects.order_by("id"))


def record(count: int, *, actors: int = 4, start: int = 0) -> list[AuditEvent]:
    """Events by several actors, so they land on several chains.

    Recorded in ascending order of the actors' chains: one transaction (the test's) only
    ever moves up the chains on PostgreSQL (audit.chaining), so this order keeps them apart.
    """
    names = [f"feed test {number}" for number in range(actors)]

    def chain_of(number: int) -> int:
        return chain_for("system", names[number % actors])

    return [
        audit_record(
            actor=Actor.system(names[number % actors]),
            action=TESTED,
            outcome=("allowed", "denied", "failed")[number % 3],
            details={"n": number},
        )
        for number in sorted(range(start, start + count), key=chain_of)
    ]


def assert_in_chain_order(received: list[Received]) -> None:
    by_chain: dict[int, list[int]] = {}
    for item in received:
        by_chain.setdefault(item.chain, []).append(item.seq)
    for seqs in by_chain.values():
        assert seqs == sorted(seqs)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gaps


def test_tcp_feed_sends_every_event_once_in_chain_order(
    tcp_listener: tuple[str, queue.Queue[list[str]]],
) -> None:
    url, connections = tcp_listener
    events = logged_before() + record(25)
    assert len({event.chain for event in events}) > 1
    report = forward_pass(parse_target(url), batch_size=4)
    received = [parse(message) for message in connections.get(timeout=WAIT_SECONDS)]
    assert report.delivered == len(events)
    assert sorted(item.id for item in received) == sorted(event.pk for event in events)
    assert_in_chain_order(received)
    stored = {(event.pk, event.chain, event.seq) for event in events}
    assert {(item.id, item.chain, item.seq) for item in received} == stored


def test_tcp_feed_resumes_from_the_saved_cursor(
    tcp_listener: tuple[str, queue.Queue[list[str]]],
) -> None:
    url, connections = tcp_listener
    target = parse_target(url)
    first = logged_before() + record(6)
    forward_pass(target)
    assert len(connections.get(timeout=WAIT_SECONDS)) == len(first)
    cursor = ForwardingCursor.objects.get(name=target.name)
    assert cursor.positions == {
        str(chain): max(event.seq for event in first if event.chain == chain)
        for chain in {event.chain for event in first}
    }
    second = record(5, start=6)
    assert forward_pass(target).delivered == 5
    received = [parse(message) for message in connections.get(timeout=WAIT_SECONDS)]
    assert sorted(item.id for item in received) == sorted(event.pk for event in second)
    assert forward_pass(target).delivered == 0  # nothing new: nothing sent


def test_a_crash_before_the_cursor_is_saved_resends_only_that_batch(
    tcp_listener: tuple[str, queue.Queue[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: the batch sent but not recorded comes again; receivers drop it by id."""
    url, connections = tcp_listener
    target = parse_target(url)
    earlier = logged_before()
    events = record(9, actors=1)  # one chain: batches 1-3, 4-6, 7-9
    chain = events[0].chain
    assert all(event.chain < chain for event in earlier)  # sent first, in chain order
    saves = []
    real_save = syslog_sinks.save_cursor

    def crash_on_the_chains_second_save(name: str, positions: dict[int, int]) -> None:
        saves.append(dict(positions))
        if positions.get(chain) == 6:
            raise KeyboardInterrupt("killed between send and record")
        real_save(name, positions)

    monkeypatch.setattr(syslog_sinks, "save_cursor", crash_on_the_chains_second_save)
    with pytest.raises(KeyboardInterrupt):
        forward_pass(target, batch_size=3)
    before_crash = [parse(m) for m in connections.get(timeout=WAIT_SECONDS)]
    assert [item.id for item in before_crash if item.chain != chain] == [e.pk for e in earlier]
    assert [item.seq for item in before_crash if item.chain == chain] == [1, 2, 3, 4, 5, 6]
    monkeypatch.setattr(syslog_sinks, "save_cursor", real_save)

    assert forward_pass(target, batch_size=3).delivered == 6
    after_restart = [parse(m) for m in connections.get(timeout=WAIT_SECONDS)]
    assert [item.seq for item in after_restart] == [4, 5, 6, 7, 8, 9]
    unique = {item.id for item in after_restart} | {event.pk for event in events[:3]}
    assert unique == {event.pk for event in events}  # de-duplicated by id: all, once


def test_udp_feed_sends_one_datagram_per_event(
    udp_listener: tuple[str, queue.Queue[str]],
) -> None:
    url, datagrams = udp_listener
    events = logged_before() + record(7)
    target = parse_target(url + "?facility=local4")
    assert forward_pass(target, batch_size=2).delivered == len(events)
    received = [parse(datagrams.get(timeout=WAIT_SECONDS)) for _ in events]
    assert sorted(item.id for item in received) == sorted(event.pk for event in events)
    assert all(
        item.message.startswith(("<166>1 ", "<164>1 ", "<163>1 ")) for item in received
    )  # local4 (20) with info, warning, error
    assert ForwardingCursor.objects.filter(name=target.name).exists()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_receiver_is_a_readable_error_and_keeps_the_position() -> None:
    record(3)
    target = parse_target(f"syslog+tcp://127.0.0.1:{_closed_port()}")
    with pytest.raises(FeedError, match=r"Cannot connect to syslog\+tcp://127\.0\.0\.1:\d+"):
        forward_pass(target)
    assert not ForwardingCursor.objects.filter(name=target.name).exists()


def test_a_second_pass_to_the_same_target_waits_its_turn(
    tcp_listener: tuple[str, queue.Queue[list[str]]],
) -> None:
    """The lock is held by another thread (its own database connection, as another process
    would have); the pass refuses to start and sends nothing."""
    url, connections = tcp_listener
    target = parse_target(url)
    holding, release = threading.Event(), threading.Event()

    def other_pass() -> None:
        try:
            with single_pass(target.name):
                holding.set()
                release.wait(WAIT_SECONDS)
        finally:
            db_connection.close()

    other = threading.Thread(target=other_pass)
    other.start()
    try:
        assert holding.wait(WAIT_SECONDS)
        record(1)
        with pytest.raises(FeedError, match="Another feed pass"):
            forward_pass(target)
    finally:
        release.set()
        other.join(WAIT_SECONDS)
    assert not ForwardingCursor.objects.filter(name=target.name).exists()
    # Released with its holder: the role sync of the migration and the test's event.
    everything = len(logged_before())
    assert forward_pass(target).delivered == everything
    assert len(connections.get(timeout=WAIT_SECONDS)) == everything
