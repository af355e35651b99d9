"""System checks of the audit app's configuration (run by every manage.py command and at
server start, so a bad value is caught before the first scheduled run, not in a log line)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from audit.forwarding.targets import TargetError, parse_target


@register()
def forward_target_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    target = settings.AUDIT_FORWARD_TARGET
    if not target:
        return []
    try:
        parse_target(target)
    except TargetError as error:
        return [Error(f"AUDIT_FORWARD_TARGET: {error}", id="audit.E001")]
    return []
