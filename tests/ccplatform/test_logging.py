"""Log lines are JSON, carry the request id, and never a card number or an email address."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ccplatform.logging import scrub_personal_values

CARD = "4111111111111111"


class _Card:
    """An object whose text holds a card number, as a careless repr() might."""

    def __str__(self) -> str:
        return f"Payment(card={CARD})"


def test_processor_masks_cards_and_emails_in_nested_values() -> None:
    event = {
        "event": "paid with 4111 1111 1111 1111 by ada@example.com",
        "details": {
            "notes": ["call back", ("card 5500-0000-0000-0004",)],
            "contact": {"email": "Ada.Lovelace+cc@mail.example.org"},
            "seen": {CARD},
        },
        "amount": 12.5,
        "count": 3,
        "flag": True,
        "missing": None,
        "card_as_number": int(CARD),
        "payment": _Card(),
    }
    scrubbed = scrub_personal_values(None, "info", event)
    assert scrubbed == {
        "event": "paid with •••• 1111 by [email redacted]",
        "details": {
            "notes": ["call back", ["card •••• 0004"]],
            "contact": {"email": "[email redacted]"},
            "seen": ["•••• 1111"],
        },
        "amount": 12.5,
        "count": 3,
        "flag": True,
        "missing": None,
        "card_as_number": "•••• 1111",
        "payment": "Payment(card=•••• 1111)",
    }


def test_processor_leaves_ordinary_numbers_and_ids_alone() -> None:
    event = {
        "event": "order 4111111111111112 shipped",  # fails Luhn: not a card
        "user_id": "0f8e2a4c-9b7d-4e1f-a3c5-b6d7e8f90123",
        "rows": 123456789012,
        "timestamp": "2026-11-28T15:59:40.804013Z",
    }
    assert scrub_personal_values(None, "info", dict(event)) == event


class _Lines(logging.Handler):
    """Collects records rendered by the settings' own formatter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        spec: dict[str, Any] = dict(settings.LOGGING["formatters"]["structured"])
        factory = spec.pop("()")
        self.setFormatter(factory(**spec))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def events(self) -> list[dict[str, Any]]:
        for line in self.lines:
            assert "\n" not in line, "one JSON object per line"
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def log_lines() -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_request_log_lines_are_json_with_the_request_id_and_no_card_number(
    client: Client, log_lines: _Lines
) -> None:
    response = client.get(
        f"/?q={CARD}&email=ada@example.com", headers={"X-Request-ID": "trace-0001-abcdef"}
    )
    assert response.status_code == 200
    events = log_lines.events()
    assert {event["event"] for event in events} >= {"request_started", "request_finished"}
    for event in events:
        assert event["request_id"] == response["X-Request-ID"] == "trace-0001-abcdef"
        assert {"timestamp", "level", "logger"} <= set(event)
    started = next(event for event in events if event["event"] == "request_started")
    assert started["request"] == "GET /?q=•••• 1111&email=[email redacted]"
    for line in log_lines.lines:
        assert CARD not in line
        assert "ada@example.com" not in line


@pytest.mark.django_db
@pytest.mark.urls("tests.ccplatform.urls_for_tests")
def test_server_error_is_logged_with_its_request_id_and_a_scrubbed_traceback(
    log_lines: _Lines,
) -> None:
    response = Client(raise_request_exception=False).get("/test/explode/")
    assert response.status_code == 500
    events = log_lines.events()
    errors = [event for event in events if event["logger"] == "django.request"]
    assert len(errors) == 1
    assert errors[0]["level"] == "error"
    assert errors[0]["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: internal detail (card •••• 1111)" in errors[0]["exception"]
    for line in log_lines.lines:
        assert "4111 1111 1111 1111" not in line


@pytest.mark.django_db
def test_request_id_does_not_outlive_its_request(client: Client, log_lines: _Lines) -> None:
    client.get("/healthz")
    logging.getLogger("ccplatform.test").warning("after the request")
    after = log_lines.events()[-1]
    assert after["event"] == "after the request"
    assert "request_id" not in after


def test_standard_library_log_messages_are_scrubbed_after_formatting(log_lines: _Lines) -> None:
    logging.getLogger("ccplatform.test").warning("card %s for %s", CARD, "ada@example.com")
    (event,) = log_lines.events()
    assert event["event"] == "card •••• 1111 for [email redacted]"
