"""Keys, teams and roles in the accounts admin: keys shown once, none deleted, roles read-only."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_api_key.models import APIKey

from accounts.models import ServiceAPIKey, Team, User
from tests.accounts.admin_pages import KEY_ADD, KEYS, events, run_action, url
from tests.personas import Integrator

pytestmark = pytest.mark.django_db

KEY_PATTERN = re.compile(r"\b([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})\b")


# --- API keys ------------------------------------------------------------------------------


def test_a_created_key_is_shown_once_and_then_authenticates(
    admin_client: Client, integrator: Integrator, security_admin: User
) -> None:
    response = admin_client.post(
        url(KEY_ADD),
        {
            "user": integrator.user.pk,
            "name": "Telephony",
            "scopes": ["customers:read", "audit:read"],
        },
    )
    assert response.status_code == 302

    shown = admin_client.get(response["Location"]).content.decode()
    [key] = KEY_PATTERN.findall(shown.split("copy it now")[0])
    assert "it is not shown again" in shown
    assert key not in admin_client.get(url(KEYS)).content.decode()
    stored = ServiceAPIKey.objects.get(prefix=key.partition(".")[0])
    assert stored.user == integrator.user
    assert stored.scopes == ["audit:read", "customers:read"]
    [event] = events("api_key.created", stored.prefix)
    assert event.actor_id == str(security_admin.pk)
    status = Client().get("/api/v1/status/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert status.status_code == 200
    assert status.json()["authenticated_as"] == str(integrator.user.pk)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"user": "person"}, "Select a valid choice."),
        ({"expires_at": "2020-01-01T10:00"}, "The expiry must be in the future."),
        ({"scopes": []}, "This field is required."),
        ({"scopes": ["customers:delete"]}, "Select a valid choice."),
    ],
)
def test_bad_key_requests_are_refused_with_a_message_and_create_nothing(
    admin_client: Client,
    integrator: Integrator,
    agent: User,
    changes: dict[str, object],
    message: str,
) -> None:
    data: dict[str, object] = {
        "user": integrator.user.pk,
        "name": "Telephony",
        "scopes": ["customers:read"],
    }
    data |= {k: agent.pk if v == "person" else v for k, v in changes.items()}
    keys_before = ServiceAPIKey.objects.count()

    response = admin_client.post(url(KEY_ADD), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert ServiceAPIKey.objects.count() == keys_before


def test_revoking_a_key_needs_a_reason_and_stops_it_at_once(
    admin_client: Client, integrator: Integrator
) -> None:
    key = ServiceAPIKey.objects.get(user=integrator.user)

    refused = run_action(admin_client, KEYS, "revoke_keys", [key], reason="")
    assert refused.status_code == 200
    assert not events("api_key.revoked")
    done = run_action(admin_client, KEYS, "revoke_keys", [key], reason="Leaked in a ticket")

    key.refresh_from_db()
    assert done.status_code == 302
    assert key.revoked
    [event] = events("api_key.revoked", key.prefix)
    assert event.reason == "Leaked in a ticket"
    assert (
        Client().get("/api/v1/status/", HTTP_AUTHORIZATION=f"Api-Key {integrator.key}").status_code
        == 401
    )


def test_keys_can_be_read_but_never_changed_or_deleted(
    admin_client: Client, integrator: Integrator
) -> None:
    key = ServiceAPIKey.objects.get(user=integrator.user)

    detail = admin_client.get(url("accounts_serviceapikey_change", key.pk))
    changed = admin_client.post(url("accounts_serviceapikey_change", key.pk), {"name": "renamed"})
    deleted = admin_client.post(url("accounts_serviceapikey_delete", key.pk), {"post": "yes"})

    key.refresh_from_db()
    assert detail.status_code == 200
    assert key.hashed_key not in detail.content.decode()
    assert (changed.status_code, deleted.status_code) == (403, 403)
    assert key.name == "CRM"
    assert not key.revoked


# --- Teams and roles -------------------------------------------------------------------------


def test_teams_are_created_and_renamed_through_the_service_and_never_deleted(
    admin_client: Client, team_a: Team
) -> None:
    created = admin_client.post(url("accounts_team_add"), {"name": "  Billing   queue "})
    team = Team.objects.get(name="Billing queue")
    duplicate = admin_client.post(url("accounts_team_add"), {"name": "team a"})
    renamed = admin_client.post(url("accounts_team_change", team.pk), {"name": "Billing"})
    deleted = admin_client.post(url("accounts_team_delete", team.pk), {"post": "yes"})

    team.refresh_from_db()
    assert created.status_code == 302
    assert events("team.created", team.pk)
    assert duplicate.status_code == 200
    assert "Already in use." in duplicate.content.decode()
    assert Team.objects.count() == 2
    assert renamed.status_code == 302
    assert team.name == "Billing"
    [event] = events("team.renamed", team.pk)
    assert event.details == {"from": "Billing queue", "to": "Billing"}
    assert deleted.status_code == 403
    assert Team.objects.filter(pk=team.pk).exists()


def test_roles_are_shown_but_not_edited(admin_client: Client) -> None:
    group = Group.objects.get(name="Security admin")

    listing = admin_client.get(url("auth_group_changelist"))
    detail = admin_client.get(url("auth_group_change", group.pk))
    added = admin_client.post(url("auth_group_add"), {"name": "Root"})
    changed = admin_client.post(url("auth_group_change", group.pk), {"name": "Root"})

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert "accounts.assign_role" in detail.content.decode()
    assert (added.status_code, changed.status_code) == (403, 403)
    assert not Group.objects.filter(name="Root").exists()


# --- What the admin does not offer -----------------------------------------------------------


def test_third_party_admins_that_bypass_the_services_are_gone(admin_client: Client) -> None:
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(APIKey)
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin_client.get("/admin/rest_framework_api_key/apikey/").status_code == 404
