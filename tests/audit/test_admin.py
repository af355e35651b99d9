"""The audit admin shows events and offers no way to add, change or delete one."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record
from ccplatform.context import Actor
from tests.personas import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, compliance_officer: User) -> Client:
    return login_verified(client, compliance_officer)


@pytest.fixture
def event() -> AuditEvent:
    return audit_record(actor=Actor.system("test"), action="platform.tested")


def test_changelist_and_detail_are_readable(admin_client: Client, event: AuditEvent) -> None:
    listing = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "platform.tested" in listing.content.decode()
    detail = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content


def test_add_change_and_delete_are_forbidden(admin_client: Client, event: AuditEvent) -> None:
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    response = admin_client.post(change_url, {"action": "platform.rewritten", "outcome": "denied"})
    assert response.status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == "platform.tested"


def test_staff_without_a_verified_factor_is_sent_to_sign_in(
    client: Client, compliance_officer: User, event: AuditEvent
) -> None:
    client.force_login(compliance_officer)  # password only: no verified second factor
    response = client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_agents_cannot_open_the_audit_admin(client: Client, agent: User, event: AuditEvent) -> None:
    response = login_verified(client, agent).get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 302  # not staff: the admin sends them to sign in
    assert "platform.tested" not in response.content.decode()
