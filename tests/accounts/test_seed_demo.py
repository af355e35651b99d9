"""seed_demo: idempotent demo accounts, audited, printable as JSON, refused in production."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_running_twice_creates_each_account_once_with_one_audit_event() -> None:
    _seed()
    _seed()
    assert User.objects.filter(username="demo.admin").count() == 1
    assert AuditEvent.objects.filter(action="user.created").count() == 1


def test_json_lists_credentials_that_actually_sign_in() -> None:
    data = json.loads(_seed("--json"))
    account = data["users"][0]
    assert account["username"] == "demo.admin"
    assert len(account["password"]) >= 15
    assert authenticate(username=account["username"], password=account["password"]) is not None


def test_refuses_in_production_and_creates_nothing() -> None:
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="production"):
        _seed()
    assert not User.objects.exists()
