"""SIEM feed targets and the RFC 5424 message format (no network, no database)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from audit.forwarding import TargetError, parse_target
from audit.forwarding.syslog import (
    BOM,
    UDP_MAX_BYTES,
    datagram,
    octet_counted,
    sd_value,
    syslog_message,
)
from audit.forwarding.targets import NAME_LIMIT, TargetKind
from audit.models import AuditEvent

# <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
    r"(?P<host>[!-~]{1,255}) ccplatform - (?P<msgid>[!-~]{1,32}) "
    r'(?P<sd>\[ccp@32473 id="(?P<id>\d+)" chain="(?P<chain>\d+)" seq="(?P<seq>\d+)"\]) '
    r"(?P<msg>.*)$",
    re.DOTALL,
)


def event(**fields: object) -> AuditEvent:
    values: dict[str, object] = {
        "pk": 41,
        "occurred_at": datetime(2026, 3, 1, 12, 30, 5, 7, tzinfo=UTC),
        "actor_kind": "system",
        "actor_id": "test",
        "action": "customer.revealed",
        "outcome": "allowed",
        "details": {"fields": ["phone"]},
        "chain": 5,
        "seq": 12,
        "hash": "ab" * 32,
        **fields,
    }
    return AuditEvent(**values)


@pytest.mark.parametrize(
    ("url", "kind", "where", "facility"),
    [
        ("syslog+tcp://siem.example.net:6514", TargetKind.SYSLOG_TCP, "siem.example.net:6514", 10),
        ("syslog+udp://127.0.0.1:514?facility=local3", TargetKind.SYSLOG_UDP, "127.0.0.1:514", 19),
        ("SYSLOG+TCP://[::1]:601?facility=auth", TargetKind.SYSLOG_TCP, "::1:601", 4),
        ("file:///var/log/ccp/audit.jsonl", TargetKind.FILE, "/var/log/ccp/audit.jsonl", 10),
    ],
)
def test_target_urls_are_parsed(url: str, kind: TargetKind, where: str, facility: int) -> None:
    target = parse_target(url)
    assert (target.kind, target.facility) == (kind, facility)
    assert target.name == f"{kind}://{where}"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://siem.example.net", "not one of"),
        ("syslog+tcp://siem.example.net", "needs a host and a port"),
        ("syslog+udp://:514", "needs a host and a port"),
        ("syslog+tcp://host:99999", "not a valid URL"),
        ("syslog+tcp://host:0", "between 1 and 65535"),
        ("syslog+tcp://user:secret@host:514", "no user, password"),
        ("syslog+tcp://host:514?facility=kern", "facility must be one of"),
        ("syslog+tcp://host:514?tls=1", "Unknown target option"),
        ("file://relative/audit.jsonl", "three slashes"),
        ("file:///var/log/", "absolute path to a file"),
        ("file:///var/log/../etc/x.jsonl", "absolute path to a file"),
        ("", "not one of"),
    ],
)
def test_unusable_targets_are_refused_with_a_reason(url: str, problem: str) -> None:
    with pytest.raises(TargetError, match=re.escape(problem)):
        parse_target(url)


def test_a_long_target_name_is_shortened_to_fit_and_stays_distinct() -> None:
    first = parse_target("file:///" + "a" * 150 + "/one.jsonl")
    second = parse_target("file:///" + "a" * 150 + "/two.jsonl")
    assert len(first.name) <= NAME_LIMIT
    assert first.name != second.name


def test_message_has_the_rfc5424_header_structured_data_and_json_body() -> None:
    message = syslog_message(event(), facility=10, hostname="web-1")
    fields = RFC5424.match(message)
    assert fields, message
    assert fields["pri"] == str(10 * 8 + 6)
    assert fields["time"] == "2026-03-01T12:30:05.000007Z"
    assert (fields["host"], fields["msgid"]) == ("web-1", "customer.revealed")
    assert (fields["id"], fields["chain"], fields["seq"]) == ("41", "5", "12")
    body = json.loads(fields["msg"])
    assert (body["id"], body["action"], body["details"]) == (
        41,
        "customer.revealed",
        {"fields": ["phone"]},
    )


@pytest.mark.parametrize(("outcome", "severity"), [("allowed", 6), ("denied", 4), ("failed", 3)])
def test_severity_follows_the_outcome(outcome: str, severity: int) -> None:
    message = syslog_message(event(outcome=outcome), facility=16, hostname="h")
    assert message.startswith(f"<{16 * 8 + severity}>1 ")


def test_msgid_is_cut_to_32_printable_characters_and_hostname_has_no_spaces() -> None:
    message = syslog_message(
        event(action="a" * 40 + ".viewed"), facility=10, hostname="my host\u00e9"
    )
    fields = RFC5424.match(message)
    assert fields
    assert fields["msgid"] == "a" * 32
    assert fields["host"] == "my_host_"


def test_structured_data_values_are_escaped() -> None:
    assert sd_value('a"b\\c]d') == 'a\\"b\\\\c\\]d'


def test_non_ascii_text_is_marked_utf8_with_a_bom() -> None:
    plain = syslog_message(event(), facility=10, hostname="h")
    accented = syslog_message(event(reason="café"), facility=10, hostname="h")
    assert BOM not in plain
    fields = RFC5424.match(accented)
    assert fields
    assert fields["msg"].startswith(BOM)
    assert json.loads(fields["msg"][1:])["reason"] == "café"


def test_a_message_with_a_newline_in_it_is_still_one_message() -> None:
    message = syslog_message(event(reason="line one\nline two"), facility=10, hostname="h")
    assert "\n" not in message  # JSON escapes it, so even newline framing would survive


def test_tcp_frames_count_bytes_not_characters() -> None:
    assert octet_counted("<14>1 é") == "8 <14>1 é".encode()  # 7 characters, 8 bytes


def test_udp_datagrams_are_cut_to_the_limit_at_a_character_boundary() -> None:
    message = syslog_message(event(reason="é" * UDP_MAX_BYTES), facility=10, hostname="h")
    data = datagram(message)
    assert len(data) <= UDP_MAX_BYTES
    cut = RFC5424.match(data.decode())  # still valid UTF-8, header and event id intact
    assert cut
    assert cut["id"] == "41"
    short = syslog_message(event(), facility=10, hostname="h")
    assert datagram(short) == short.encode()
