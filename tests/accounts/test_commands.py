"""create_user and create_api_key: audited on success; bad input is named and writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import PasswordHistory, Role, ServiceAPIKey, Team, User
from audit.models import AuditEvent
from ccplatform.scopes import Scope
from tests.personas import make_service_account

pytestmark = pytest.mark.django_db

STRONG = "correct horse battery staple 2026"
# A key named CRM for the service_account fixture; a test adds the scopes and expiry.
CRM_KEY = ("create_api_key", "--user=crm.sync", "--name=CRM")
KEY_LINE = re.compile(r"^([A-Za-z0-9]{8}\.[A-Za-z0-9]{32})$", re.MULTILINE)


def _run(name: str, *args: str, **options: Any) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "keys": ServiceAPIKey.objects.count(),
        "password_history": PasswordHistory.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def _refused(name: str, *args: str, **options: Any) -> str:
    """The error of a command that must fail, having written nothing (not even an audit row)."""
    before = _counts()
    with pytest.raises(CommandError) as raised:
        _run(name, *args, **options)
    assert _counts() == before
    return str(raised.value)


@pytest.fixture
def service_account(db: None) -> User:
    return make_service_account("crm.sync")


# --- create_user ---------------------------------------------------------------------------


def test_create_user_with_password_from_stdin_makes_an_audited_agent_in_the_team(
    team_a: Team, team_b: Team
) -> None:
    output = _run(
        "create_user",
        "agent.amy",
        "--role=agent",
        "--team=Team A",
        "--team=Team B",
        "--email=amy@staff.example",
        "--password-stdin",
        stdin=StringIO(f"{STRONG}\nthis second line is ignored\n"),
    )

    user = User.objects.get(username="agent.amy")
    assert user.role == Role.AGENT
    assert user.email == "amy@staff.example"
    assert set(user.teams.all()) == {team_a, team_b}
    assert user.check_password(STRONG)
    assert list(user.groups.values_list("name", flat=True)) == [Role.AGENT.label]
    assert "agent.amy" in output
    assert STRONG not in output
    event = AuditEvent.objects.get(action="user.created", target_id=str(user.pk))
    assert (event.actor_kind, event.actor_id) == ("system", "create_user")
    assert event.details == {"role": "agent", "teams": sorted([str(team_a.pk), str(team_b.pk)])}


def test_password_from_stdin_keeps_inner_and_trailing_spaces_but_not_the_line_break(
    db: None,
) -> None:
    _run(
        "create_user",
        "comply.cora",
        "--role=compliance_officer",
        "--password-stdin",
        stdin=StringIO(f"  {STRONG} \r\n"),
    )

    user = User.objects.get(username="comply.cora")
    assert user.check_password(f"  {STRONG} ")
    assert not user.check_password(STRONG)


def test_generated_password_is_printed_once_long_and_signs_in(db: None) -> None:
    output = _run("create_user", "sec.sid", "--role=security_admin", "--generate-password")

    match = re.search(r"Password \(shown only now[^)]*\): (\S+)$", output, re.MULTILINE)
    assert match is not None, output
    password = match.group(1)
    assert len(password) >= 20
    assert output.count(password) == 1
    assert authenticate(username="sec.sid", password=password) is not None
    user = User.objects.get(username="sec.sid")
    assert user.is_staff
    assert AuditEvent.objects.filter(action="user.created", target_id=str(user.pk)).count() == 1


def test_integrator_is_a_service_account_without_a_usable_password(db: None) -> None:
    output = _run("create_user", "telephony", "--role=integrator")

    user = User.objects.get(username="telephony")
    assert user.is_service_account
    assert not user.has_usable_password()
    assert "create_api_key --user telephony" in output
    event = AuditEvent.objects.get(action="user.created", target_id=str(user.pk))
    assert event.details["role"] == "integrator"


@pytest.mark.parametrize("flag", ["--password-stdin", "--generate-password"])
def test_integrator_with_a_password_option_is_refused_and_nothing_is_created(
    db: None, flag: str
) -> None:
    message = _refused(
        "create_user", "telephony", "--role=integrator", flag, stdin=StringIO(STRONG)
    )

    assert "service account" in message
    assert "API keys" in message


def test_unknown_role_names_the_valid_roles_and_creates_nothing(team_a: Team) -> None:
    message = _refused("create_user", "amy", "--role=admin", "--team=Team A", "--generate-password")

    assert "Unknown role 'admin'" in message
    for role in Role.values:
        assert role in message


def test_unknown_team_is_named_and_nothing_is_created_even_with_a_valid_team(
    team_a: Team,
) -> None:
    message = _refused(
        "create_user",
        "agent.amy",
        "--role=agent",
        "--team=Team A",
        "--team=Team Nowhere",
        "--password-stdin",
        stdin=StringIO(STRONG),
    )

    assert "No team named 'Team Nowhere'" in message
    assert "Existing teams: Team A" in message


def test_weak_password_lists_the_validator_messages_and_creates_nothing(db: None) -> None:
    message = _refused(
        "create_user", "agent.amy", "--role=agent", "--password-stdin", stdin=StringIO("short1\n")
    )

    assert "User 'agent.amy' was not created" in message
    assert "not strong enough" in message
    assert "at least 15 characters" in message


def test_password_like_the_username_is_refused_by_the_similarity_check(db: None) -> None:
    message = _refused(
        "create_user",
        "agent.amelia.longname",
        "--role=agent",
        "--password-stdin",
        stdin=StringIO("agent.amelia.longname1\n"),
    )

    assert "too similar to the username" in message


def test_existing_username_is_refused_readably_whatever_its_case(agent: User) -> None:
    message = _refused("create_user", agent.username.upper(), "--role=agent", "--generate-password")

    assert "was not created: That username is taken." in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--role=agent"], "A person needs a password"),
        (["--role=agent", "--password-stdin"], "No password was given"),
        (["--role=agent", "--generate-password", "--email=not-an-email"], "not a valid email"),
    ],
)
def test_person_without_a_usable_password_or_email_is_refused(
    db: None, args: list[str], expected: str
) -> None:
    message = _refused("create_user", "agent.amy", *args, stdin=StringIO(""))

    assert expected in message


def test_invalid_username_is_refused(db: None) -> None:
    message = _refused("create_user", "amy smith!", "--role=agent", "--generate-password")

    assert "not a valid username" in message


# --- create_api_key ------------------------------------------------------------------------


def test_create_api_key_prints_the_key_once_and_it_authenticates(service_account: User) -> None:
    output = _run(
        "create_api_key",
        "--user=crm.sync",
        "--name=CRM sync",
        "--scope=customers:read",
        "--scope=audit:read",
        "--expires-in-days=30",
    )

    match = KEY_LINE.search(output)
    assert match is not None, output
    plaintext = match.group(1)
    assert output.count(plaintext) == 1
    assert "not shown again" in output
    key = ServiceAPIKey.objects.get(user=service_account)
    assert key.prefix == plaintext.partition(".")[0]
    assert key.name == "CRM sync"
    assert key.scopes == ["audit:read", "customers:read"]
    assert key.expiry_date is not None
    expected_expiry = timezone.now() + timedelta(days=30)
    assert abs(key.expiry_date - expected_expiry) < timedelta(minutes=1)
    assert plaintext not in key.hashed_key
    response = Client().get("/api/v1/status/", HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    assert response.status_code == 200
    assert response.json()["authenticated_as"] == str(service_account.pk)
    event = AuditEvent.objects.get(action="api_key.created")
    assert (event.actor_kind, event.actor_id) == ("system", "create_api_key")
    assert event.target_id == key.prefix
    assert event.details["scopes"] == ["audit:read", "customers:read"]
    assert event.details["service_account"] == str(service_account.pk)
    assert plaintext.partition(".")[2] not in str(event.details)


def test_key_without_expiry_option_never_expires(service_account: User) -> None:
    output = _run(*CRM_KEY, "--scope=customers:write")

    key = ServiceAPIKey.objects.get(user=service_account)
    assert key.expiry_date is None
    assert "no expiry" in output


def test_a_person_cannot_get_an_api_key_and_nothing_is_created(agent: User) -> None:
    message = _refused(
        "create_api_key", f"--user={agent.username}", "--name=Mine", "--scope=customers:read"
    )

    assert "No key was created" in message
    assert "service accounts" in message


def test_unknown_scope_is_named_with_the_valid_ones_and_nothing_is_created(
    service_account: User,
) -> None:
    message = _refused(*CRM_KEY, "--scope=customers:read", "--scope=customers:delete")

    assert "Unknown scope 'customers:delete'" in message
    for scope in [member.value for member in Scope]:
        assert scope in message


def test_unknown_user_is_named_and_nothing_is_created(db: None) -> None:
    message = _refused("create_api_key", "--user=ghost", "--name=CRM", "--scope=customers:read")

    assert "No user named 'ghost'" in message


@pytest.mark.parametrize("days", ["0", "-3", "100000"])
def test_expiry_outside_the_allowed_days_is_refused_and_nothing_is_created(
    service_account: User, days: str
) -> None:
    message = _refused(*CRM_KEY, "--scope=customers:read", f"--expires-in-days={days}")

    assert "--expires-in-days must be a whole number from 1 to" in message


def test_a_disabled_service_account_gets_no_key(service_account: User) -> None:
    User.objects.filter(pk=service_account.pk).update(is_active=False)

    message = _refused(*CRM_KEY, "--scope=customers:read")

    assert "disabled" in message


def test_missing_scope_option_is_a_readable_usage_error(service_account: User) -> None:
    message = _refused(*CRM_KEY)

    assert "--scope" in message
