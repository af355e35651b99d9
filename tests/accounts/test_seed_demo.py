"""seed_demo: demo accounts for every role that really sign in; idempotent; not in production."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils.crypto import RANDOM_STRING_CHARS
from django_otp.oath import totp

from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User
from accounts.services.api_keys import api_key_revoke
from accounts.services.passwords import password_change
from accounts.services.users import user_create
from audit.models import AuditEvent, Checkpoint, VerificationRun
from demo.accounts import demo_api_key
from demo.customers import CUSTOMERS_PER_TEAM
from tests.personas import SETUP, as_caller

pytestmark = pytest.mark.django_db

SIGN_IN_URL = "http://127.0.0.1:8000/accounts/login/"


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _seed_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_seed("--json"))
    return data


def _people(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [user for user in data["users"] if user["role"] != Role.INTEGRATOR]


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "devices": AuthenticatorDevice.objects.count(),
        "keys": ServiceAPIKey.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def test_first_run_creates_teams_accounts_factors_and_key_each_with_an_audit_event() -> None:
    # What the test database starts with (the roles synced when it was migrated) is not seeded.
    before = list(AuditEvent.objects.values_list("id", flat=True))

    _seed()

    assert set(Team.objects.values_list("name", flat=True)) == {"Team North", "Team South"}
    assert User.objects.count() == 7
    assert AuthenticatorDevice.objects.filter(confirmed=True).count() == 6
    assert ServiceAPIKey.objects.get().user.username == "crm.integrator"
    seeded = AuditEvent.objects.exclude(id__in=before)
    # The accounts part and the customers themselves are the seed's own (the system, as the
    # seed_demo command: some customers have medical notes, which agents may not write);
    # notes and interactions are the demo agents' (tests/customers/test_demo.py).
    accounts_part = [
        event
        for event in seeded
        if not event.action.startswith(("customer", "incident"))
        and event.action != "audit.verified"
    ]
    assert Counter(event.action for event in accounts_part) == {
        "team.created": 2,
        "user.created": 7,
        "mfa.enrolled": 6,
        "api_key.created": 1,
    }
    # The breach workflow's demo: a client with its clock, and an exercise to walk through.
    incident_part = Counter(e.action for e in seeded if e.action.startswith("incident"))
    assert incident_part["incident.client_saved"] == 1
    assert incident_part["incident.opened"] == 1
    assert {(e.actor_kind, e.actor_id) for e in accounts_part} == {("system", "seed_demo")}
    agents = User.objects.filter(username__in=["agent.north", "agent.south"])
    created = seeded.filter(action="customer.created")
    assert created.count() == 2 * CUSTOMERS_PER_TEAM
    assert set(created.values_list("actor_kind", "actor_id")) == {("system", "seed_demo")}
    history = seeded.filter(action__in=["customer.note_added", "customer.interaction_added"])
    assert history.exists()
    assert set(history.values_list("actor_kind", "actor_id")) == {
        ("user", str(agent.pk)) for agent in agents
    }
    key_event = AuditEvent.objects.get(action="api_key.created")
    key = ServiceAPIKey.objects.get()
    assert key_event.target_id == key.prefix
    assert key_event.details["demo"] is True
    assert key_event.details["scopes"] == ["customers:read", "customers:write"]


def test_running_twice_creates_nothing_new_and_records_nothing_new() -> None:
    _seed()
    after_first = _counts()

    output = _seed()

    assert _counts() == after_first
    assert "nothing created" in output
    created = AuditEvent.objects.filter(action="user.created").values_list("target_id", flat=True)
    assert len(created) == len(set(created)) == 7


def test_reruns_print_the_same_passwords_secrets_and_key() -> None:
    assert _seed_json() == _seed_json()


def test_every_role_has_a_demo_account_and_two_agents_work_in_different_teams() -> None:
    data = _seed_json()

    assert {user["role"] for user in data["users"]} == set(Role.values)
    agents = [user for user in data["users"] if user["role"] == Role.AGENT]
    assert len(agents) >= 2
    assert len({tuple(agent["teams"]) for agent in agents}) == len(agents)
    by_name = {user["username"]: user for user in data["users"]}
    assert by_name["agent.north"]["teams"] == ["Team North"]
    assert by_name["agent.south"]["teams"] == ["Team South"]
    assert by_name["supervisor.north"]["teams"] == ["Team North"]
    assert by_name["compliance.officer"]["role"] == Role.COMPLIANCE_OFFICER
    assert by_name["security.admin"]["role"] == Role.SECURITY_ADMIN
    assert by_name["crm.integrator"]["password"] is None


def test_printed_passwords_sign_in() -> None:
    data = _seed_json()

    for person in _people(data):
        assert len(person["password"]) >= 15
        user = authenticate(username=person["username"], password=person["password"])
        assert user is not None, person["username"]


def test_printed_totp_secrets_produce_codes_the_device_accepts() -> None:
    data = _seed_json()

    for person in _people(data):
        key = base64.b32decode(person["totp_secret"])
        assert key.hex() == person["totp_secret_hex"]
        device = AuthenticatorDevice.objects.get(user__username=person["username"], confirmed=True)
        assert device.verify_token(f"{totp(key):06d}"), person["username"]


def test_printed_api_key_authenticates_the_service_account() -> None:
    data = _seed_json()

    api_key = data["api_key"]
    assert api_key["service_account"] == "crm.integrator"
    assert api_key["scopes"] == ["customers:read", "customers:write"]
    assert re.fullmatch(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}", api_key["key"])
    response = Client().get("/api/v1/status/", HTTP_AUTHORIZATION=f"Api-Key {api_key['key']}")
    assert response.status_code == 200
    integrator = User.objects.get(username="crm.integrator")
    assert response.json()["authenticated_as"] == str(integrator.pk)


def test_the_key_is_stored_only_as_a_hash() -> None:
    plaintext = _seed_json()["api_key"]["key"]

    key = ServiceAPIKey.objects.get()
    secret = plaintext.partition(".")[2]
    assert key.hashed_key.startswith("sha512$$")
    assert secret not in key.hashed_key
    assert secret not in key.pk
    assert key.is_valid(plaintext)


def test_demo_key_uses_the_key_library_alphabet_and_lengths() -> None:
    prefix, _, secret = demo_api_key().partition(".")

    assert (len(prefix), len(secret)) == (8, 32)
    assert set(prefix + secret) <= set(RANDOM_STRING_CHARS)
    assert demo_api_key(0) != demo_api_key(1)


def test_json_output_is_nothing_but_json() -> None:
    output = _seed("--json")

    data = json.loads(output)
    assert set(data) == {"users", "api_key"}
    assert set(data["users"][0]) == {
        "username",
        "role",
        "teams",
        "password",
        "totp_secret",
        "totp_secret_hex",
    }


def test_human_output_shows_every_role_the_sign_in_url_secrets_and_key() -> None:
    output = _seed()
    data = _seed_json()

    for role in Role.values:
        assert role in output
    assert SIGN_IN_URL in output
    for person in _people(data):
        assert person["username"] in output
        assert person["password"] in output
        assert person["totp_secret"] in output
        assert (
            f"otpauth://totp/ccplatform%3A{person['username']}?secret={person['totp_secret']}"
            in output
        )
    assert data["api_key"]["key"] in output


def test_a_revoked_demo_key_is_replaced_by_a_new_working_one() -> None:
    first = _seed_json()["api_key"]["key"]
    api_key_revoke(caller=SETUP, key=ServiceAPIKey.objects.get(), reason="rotated in a test")

    second = _seed_json()["api_key"]["key"]

    assert second != first
    assert ServiceAPIKey.objects.filter(revoked=False).get().is_valid(second)
    assert AuditEvent.objects.filter(action="api_key.created").count() == 2
    assert _seed_json()["api_key"]["key"] == second


def test_a_changed_password_is_not_printed_as_if_it_still_worked() -> None:
    data = _seed_json()
    agent = next(user for user in data["users"] if user["username"] == "agent.north")
    password_change(
        caller=as_caller(User.objects.get(username="agent.north")),
        current_password=agent["password"],
        new_password="a brand new passphrase for north",
        keep_session_key=None,
    )

    again = {user["username"]: user for user in _seed_json()["users"]}

    assert again["agent.north"]["password"] is None
    assert again["agent.south"]["password"] is not None


def test_a_person_missing_their_authenticator_gets_the_demo_one_back() -> None:
    _seed()
    AuthenticatorDevice.objects.filter(user__username="agent.south").delete()
    events = AuditEvent.objects.count()

    data = {user["username"]: user for user in _seed_json()["users"]}

    key = base64.b32decode(data["agent.south"]["totp_secret"])
    device = AuthenticatorDevice.objects.get(user__username="agent.south", confirmed=True)
    assert device.verify_token(f"{totp(key):06d}")
    # The enrolment, and the verification that follows any seeding that created something.
    assert AuditEvent.objects.count() == events + 2
    assert AuditEvent.objects.filter(action="mfa.enrolled").count() == 7


def test_a_person_named_like_the_service_account_stops_the_seed_with_nothing_created() -> None:
    user_create(
        caller=SETUP,
        username="crm.integrator",
        role=Role.AGENT,
        password="someone else's long passphrase",
    )
    before = _counts()

    with pytest.raises(CommandError) as raised:
        _seed()

    assert "'crm.integrator'" in str(raised.value)
    assert _counts() == before


def test_refuses_in_production_and_creates_nothing() -> None:
    before = _counts()

    with override_settings(PRODUCTION=True), pytest.raises(CommandError) as raised:
        _seed()

    assert "refuses to run in production" in str(raised.value)
    assert _counts() == before
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_seeding_leaves_a_verified_log_with_signed_chain_heads() -> None:
    call_command("seed_demo", stdout=StringIO())
    run = VerificationRun.objects.get()
    assert run.ok
    assert run.trigger == "seed_demo"
    assert run.events_checked == AuditEvent.objects.exclude(action="audit.verified").count()
    assert Checkpoint.objects.count() == run.checkpoints_made > 0
    call_command("seed_demo", stdout=StringIO())  # nothing created: nothing verified again
    assert VerificationRun.objects.count() == 1
