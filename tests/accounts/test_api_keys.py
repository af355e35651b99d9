"""api_key_create / api_key_revoke: keys for service accounts only, shown once, stored hashed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.models import ServiceAPIKey, User
from accounts.services.api_keys import api_key_create, api_key_revoke
from accounts.services.users import user_disable
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError, ServiceError
from tests.personas import as_caller, make_service_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_caller(security_admin: User) -> Caller:
    return as_caller(security_admin)


@pytest.fixture
def service_account(db: None) -> User:
    return make_service_account("telephony")


def _create(
    caller: Caller,
    user: User,
    scopes: Sequence[str] = ("customers:read",),
    *,
    name: str = "Telephony",
    expires_at: datetime | None = None,
) -> tuple[ServiceAPIKey, str]:
    return api_key_create(
        caller=caller, user=user, name=name, scopes=list(scopes), expires_at=expires_at
    )


def _refused(caller: Caller, user: User, *args: Any, **kwargs: Any) -> ServiceError:
    """The error of a key request that must fail, having created no key and no audit event."""
    with pytest.raises(ServiceError) as refused:
        _create(caller, user, *args, **kwargs)
    assert not ServiceAPIKey.objects.exists()
    assert not AuditEvent.objects.filter(action="api_key.created").exists()
    return refused.value


def _column_values(row: Model) -> list[str]:
    """Every concrete column of `row` as text, so a search covers fields added later too."""
    return [str(field.value_from_object(row)) for field in row._meta.concrete_fields]


def test_created_key_is_returned_once_and_only_its_prefix_and_hash_are_stored(
    admin_caller: Caller, service_account: User
) -> None:
    key, plaintext = _create(admin_caller, service_account, ["customers:read", "audit:read"])

    prefix, _, secret = plaintext.partition(".")
    stored = ServiceAPIKey.objects.get(pk=key.pk)
    assert stored.prefix == prefix
    assert stored.hashed_key.startswith("sha512$$")
    assert len(secret) >= 32
    for value in _column_values(stored):
        assert secret not in value
        assert plaintext not in value
    assert stored.is_valid(plaintext)
    assert not stored.is_valid(f"{prefix}.{'x' * len(secret)}")


def test_create_records_one_audit_event_naming_the_prefix_and_never_the_key(
    admin_caller: Caller, service_account: User
) -> None:
    key, plaintext = _create(
        admin_caller, service_account, ["customers:write", "customers:read", "customers:read"]
    )

    event = AuditEvent.objects.get(action="api_key.created")
    assert (event.actor_kind, event.actor_id) == ("user", admin_caller.actor.id)
    assert (event.target_type, event.target_id) == ("accounts.serviceapikey", key.prefix)
    assert event.details["prefix"] == key.prefix
    assert event.details["service_account"] == str(service_account.pk)
    assert event.details["scopes"] == ["customers:read", "customers:write"]
    secret = plaintext.partition(".")[2]
    for row in AuditEvent.objects.all():
        for value in _column_values(row):
            assert secret not in value
            # The stored hash is a credential check value too: it stays out of the log.
            assert key.hashed_key.partition("$$")[2] not in value


def test_expiry_and_scopes_are_kept_on_the_key(admin_caller: Caller, service_account: User) -> None:
    expires_at = timezone.now() + timedelta(days=90)

    key, _ = _create(
        admin_caller,
        service_account,
        ["audit:read"],
        name="  Nightly export  ",
        expires_at=expires_at,
    )

    key.refresh_from_db()
    assert key.expiry_date == expires_at
    assert key.scopes == ["audit:read"]
    assert key.name == "Nightly export"
    assert key.has_scope("audit:read")
    assert not key.has_scope("customers:read")


@pytest.mark.parametrize(
    ("scopes", "expires_in", "field"),
    [
        pytest.param(["customers:delete"], None, "scopes", id="unknown-scope"),
        pytest.param(["customers:read", "admin"], None, "scopes", id="one-unknown-among-known"),
        pytest.param([], None, "scopes", id="no-scope"),
        pytest.param(["customers:read"], timedelta(minutes=-1), "expires_at", id="past-expiry"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_creates_nothing(
    admin_caller: Caller,
    service_account: User,
    scopes: list[str],
    expires_in: timedelta | None,
    field: str,
) -> None:
    expires_at = timezone.now() + expires_in if expires_in is not None else None

    refused = _refused(admin_caller, service_account, scopes, expires_at=expires_at)

    assert field in refused.fields


def test_a_person_cannot_hold_an_api_key(admin_caller: Caller, agent: User) -> None:
    refused = _refused(admin_caller, agent, name="Mine")

    assert "API keys belong to service accounts" in refused.message
    assert "user" in refused.fields


def test_a_disabled_service_account_gets_no_new_key(
    admin_caller: Caller, service_account: User
) -> None:
    user_disable(caller=admin_caller, user=service_account, reason="Contract ended")

    refused = _refused(admin_caller, service_account)

    assert "disabled" in refused.message
    assert "user" in refused.fields


def test_revoking_needs_a_reason_and_is_audited_once(
    admin_caller: Caller, service_account: User
) -> None:
    key, _ = _create(admin_caller, service_account)
    with pytest.raises(ServiceError) as refused:
        api_key_revoke(caller=admin_caller, key=key, reason="  ")
    assert "reason" in refused.value.fields
    assert not AuditEvent.objects.filter(action="api_key.revoked").exists()

    api_key_revoke(caller=admin_caller, key=key, reason="Leaked in a ticket")
    api_key_revoke(caller=admin_caller, key=key, reason="Clicked twice")

    key.refresh_from_db()
    assert key.revoked
    event = AuditEvent.objects.get(action="api_key.revoked")
    assert event.reason == "Leaked in a ticket"
    assert event.details == {"prefix": key.prefix}
    assert (event.target_type, event.target_id) == ("accounts.serviceapikey", key.prefix)


def test_only_a_caller_who_manages_keys_may_create_or_revoke_them(
    admin_caller: Caller, service_account: User, agent: User
) -> None:
    key, _ = _create(admin_caller, service_account)
    agent_caller = as_caller(agent)

    with pytest.raises(AccessDeniedError) as refused_create:
        _create(agent_caller, service_account, name="Mine now")
    with pytest.raises(AccessDeniedError) as refused_revoke:
        api_key_revoke(caller=agent_caller, key=key, reason="Curious")

    assert refused_create.value.status == refused_revoke.value.status == 403
    assert ServiceAPIKey.objects.count() == 1
    key.refresh_from_db()
    assert not key.revoked
    denials = AuditEvent.objects.filter(action="access.denied").order_by("id")
    assert [(e.actor_id, e.outcome, e.details) for e in denials] == [
        (
            str(agent.pk),
            "denied",
            {
                "rule": "accounts.manage_api_keys",
                "via": "page",
                "resource": f"accounts.user:{service_account.pk}",
                "why": "missing_permission:accounts.manage_api_keys",
            },
        ),
        (
            str(agent.pk),
            "denied",
            {
                "rule": "accounts.manage_api_keys",
                "via": "page",
                "resource": f"accounts.serviceapikey:{key.prefix}",
                "why": "missing_permission:accounts.manage_api_keys",
            },
        ),
    ]
