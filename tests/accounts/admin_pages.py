"""Using the accounts admin as a browser does, and finding the audit events it leaves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Model
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

USERS, USER_ADD = "accounts_user_changelist", "accounts_user_add"
KEYS, KEY_ADD = "accounts_serviceapikey_changelist", "accounts_serviceapikey_add"


def url(name: str, *args: object) -> str:
    return reverse(f"admin:{name}", args=args)


def events(action: str, target: object = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action)
    if target is not None:
        found = found.filter(target_id=str(target))
    return list(found)


def run_action(
    client: Client, changelist: str, action: str, objects: Sequence[Model], reason: str | None
) -> TestResponse:
    """Post `action` as the browser does: reason None is the first step (the reason page)."""
    data: dict[str, object] = {"action": action, "_selected_action": [str(o.pk) for o in objects]}
    data |= {"index": "0"} if reason is None else {"confirm": "yes", "reason": reason}
    return client.post(url(changelist), data)
