"""Structured logging: one JSON object per line, request id bound, personal values scrubbed.

structlog renders both its own events and the standard library's (Django, Celery, gunicorn)
through the same processor chain, so no log line escapes the scrubber.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from ccplatform.redaction import redact


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, Mapping):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        # A card number logged as a number is still a card number.
        text = str(value)
        masked = redact(text).text
        return value if masked == text else masked
    # The renderer would print anything else with repr(), after this processor has run.
    return redact(str(value)).text


def scrub_personal_values(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask card numbers and email addresses in every field."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub(value)
    return event_dict


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def build_logging_config(*, level: str, json_output: bool) -> dict[str, Any]:
    """The LOGGING dict for settings, and structlog configured to feed it."""
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # Exceptions are logged as text fields; scrub after rendering them.
                    structlog.processors.format_exc_info,
                    scrub_personal_values,
                    renderer,
                ],
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django_structlog": {"level": level},
            # django_structlog logs every request with its id. Django's own request loggers
            # would log 4xx answers again, after the request context is gone (no id), so
            # they keep only errors; a 500 is logged inside the request, with its id.
            "django.server": {"level": "CRITICAL"},
            "django.request": {"level": "ERROR"},
        },
    }
