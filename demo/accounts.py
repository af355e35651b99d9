"""Demo data for the embedded default: stable per instance, refused in production.

Every secret here (passwords, authenticator keys, the integrator's API key) is derived from
this instance's SECRET_KEY with HMAC, so `seed_demo` can print the same sign-in details on
every run although passwords and keys are stored only as hashes. They are unique per
checkout (`make run` generates the key) and never exist in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import RANDOM_STRING_CHARS
from rest_framework_api_key.crypto import KeyGenerator, concatenate

from accounts.actions import API_KEY_CREATED, MFA_ENROLLED
from accounts.callers import caller_for_person
from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User
from accounts.services.teams import team_create
from accounts.services.users import user_create
from audit.services import AuditTarget, audit_record
from ccplatform.callers import Caller, Via
from ccplatform.errors import ServiceError
from ccplatform.scopes import Scope
from demo.customers import demo_customers_seed
from demo.incidents import demo_incidents_seed

SEED = Caller.system("seed_demo", via=Via.COMMAND)
TEAM_NORTH = "Team North"
TEAM_SOUTH = "Team South"
DEMO_TEAMS = (TEAM_NORTH, TEAM_SOUTH)
DEMO_EMAIL_DOMAIN = "demo.example.com"  # RFC 2606: mail to it never reaches anyone
DEMO_KEY_NAME = "Demo CRM key"
DEMO_KEY_SCOPES = (Scope.CUSTOMERS_READ.value, Scope.CUSTOMERS_WRITE.value)
# A revoked demo key cannot be reused (its prefix stays taken), so the next one is derived
# with the next number; this bounds how many revocations a demo instance survives.
_MAX_KEY_GENERATIONS = 100
_KEY_PREFIX_LENGTH = 8
_KEY_SECRET_LENGTH = 32


@dataclass(frozen=True)
class DemoAccount:
    """One demo account as seed_demo makes it: a username, its role and its teams."""

    username: str
    role: Role
    teams: tuple[str, ...] = ()


DEMO_PEOPLE = (
    DemoAccount("agent.north", Role.AGENT, (TEAM_NORTH,)),
    DemoAccount("agent.south", Role.AGENT, (TEAM_SOUTH,)),
    DemoAccount("supervisor.north", Role.SUPERVISOR, (TEAM_NORTH,)),
    DemoAccount("compliance.officer", Role.COMPLIANCE_OFFICER),
    # A second officer: decisions that a notice is not required need another's approval.
    DemoAccount("compliance.deputy", Role.COMPLIANCE_OFFICER),
    DemoAccount("security.admin", Role.SECURITY_ADMIN),
)
DEMO_SERVICE_ACCOUNT = DemoAccount("crm.integrator", Role.INTEGRATOR)


@dataclass(frozen=True)
class SeededAccount:
    """What seed_demo reports about one account.

    `password` and `totp_key` are None when they do not work (a service account has
    neither; a person may have changed the password or enrolled another authenticator).
    """

    user: User
    password: str | None
    totp_device: AuthenticatorDevice | None
    totp_key: bytes | None


@dataclass(frozen=True)
class SeedResult:
    accounts: list[SeededAccount]
    api_key: ServiceAPIKey
    api_key_plaintext: str
    created: int
    customers_created: int = 0


def _derive(purpose: str, digestmod: Callable[[], Any] = hashlib.sha256) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), digestmod).digest()


def demo_password(username: str) -> str:
    """A password derived from this instance's secret key, so reruns print the same one.

    25 characters of which 20 are random-looking: long enough for the password policy and
    unlike any username or common password.
    """
    digest = _derive(f"demo:{username}")
    return "demo-" + base64.urlsafe_b64encode(digest).decode()[:20]


def demo_totp_key(username: str) -> bytes:
    """The 20-byte authenticator secret of a demo person (the size django-otp generates)."""
    return _derive(f"demo-totp:{username}")[:20]


def demo_api_key(generation: int = 0) -> str:
    """The demo integrator's key: `prefix.secret` in the alphabet of the API key library."""
    number = int.from_bytes(_derive(f"demo-api-key:{generation}", hashlib.sha512), "big")
    chars: list[str] = []
    for _ in range(_KEY_PREFIX_LENGTH + _KEY_SECRET_LENGTH):
        number, index = divmod(number, len(RANDOM_STRING_CHARS))
        chars.append(RANDOM_STRING_CHARS[index])
    text = "".join(chars)
    return concatenate(text[:_KEY_PREFIX_LENGTH], text[_KEY_PREFIX_LENGTH:])


def _ensure_team(name: str) -> tuple[Team, bool]:
    team = Team.objects.filter(name=name).first()
    if team is not None:
        return team, False
    return team_create(caller=SEED, name=name), True


def _ensure_user(account: DemoAccount, teams: dict[str, Team]) -> tuple[User, bool]:
    is_person = account.role != Role.INTEGRATOR
    user = User.objects.filter(username__iexact=account.username).first()
    if user is not None:
        # A changed role is kept (a security admin may have changed it on purpose), but a
        # person where a service account belongs, or the reverse, would get the wrong factors.
        if user.is_service_account == is_person:
            raise ServiceError(
                f"The existing account {user.username!r} has role {user.role!r}, which does not "
                f"fit the demo account (role {account.role.value!r}); rename or remove it first."
            )
        return user, False
    user = user_create(
        caller=SEED,
        username=account.username,
        role=account.role,
        email=f"{account.username}@{DEMO_EMAIL_DOMAIN}" if is_person else "",
        teams=[teams[name] for name in account.teams],
        password=demo_password(account.username) if is_person else None,
    )
    return user, True


def _ensure_totp_device(user: User) -> tuple[AuthenticatorDevice, bool]:
    """The person's confirmed authenticator; a demo one (with the derived key) if none."""
    device = AuthenticatorDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        return device, False
    device = AuthenticatorDevice.objects.create_with_secret(
        user=user,
        name="Demo authenticator",
        confirmed=True,
        secret=demo_totp_key(user.username),
    )
    audit_record(
        actor=SEED.actor,
        action=MFA_ENROLLED,
        target=user,
        details={"device": "totp", "demo": True},
    )
    return device, True


def _create_demo_key(user: User, plaintext: str) -> ServiceAPIKey:
    """Store a key whose plaintext we chose, the way the library stores a generated one."""
    prefix = plaintext.partition(".")[0]
    hashed_key = KeyGenerator().hash(plaintext)
    key = ServiceAPIKey(
        user=user, name=DEMO_KEY_NAME, scopes=sorted(DEMO_KEY_SCOPES), expiry_date=None
    )
    key.id = concatenate(prefix, hashed_key)
    key.prefix = prefix
    key.hashed_key = hashed_key
    key.save(force_insert=True)
    audit_record(
        actor=SEED.actor,
        action=API_KEY_CREATED,
        target=AuditTarget(ServiceAPIKey._meta.label_lower, prefix),
        details={
            "prefix": prefix,
            "service_account": str(user.pk),
            "scopes": sorted(DEMO_KEY_SCOPES),
            "expires_at": None,
            "demo": True,
        },
    )
    return key


def _ensure_api_key(user: User) -> tuple[ServiceAPIKey, str, bool]:
    """The demo key of `user`, usable now: the first derived key not revoked or expired."""
    if not user.is_service_account:
        raise ServiceError(f"{user.username!r} is not a service account; it cannot hold API keys.")
    for generation in range(_MAX_KEY_GENERATIONS):
        plaintext = demo_api_key(generation)
        existing = ServiceAPIKey.objects.filter(prefix=plaintext.partition(".")[0]).first()
        if existing is None:
            return _create_demo_key(user, plaintext), plaintext, True
        usable = not existing.revoked and not existing.has_expired
        if usable and existing.user_id == user.pk and existing.is_valid(plaintext):
            return existing, plaintext, False
    raise ServiceError("Every demo API key of this instance has been revoked.")


def _seeded_person(user: User, device: AuthenticatorDevice) -> SeededAccount:
    password = demo_password(user.username)
    key = demo_totp_key(user.username)
    return SeededAccount(
        user=user,
        password=password if user.check_password(password) else None,
        totp_device=device,
        totp_key=key if device.bin_key == key else None,
    )


def _seed_customers(teams: dict[str, Team], *, people: list[SeededAccount]) -> int:
    """Fictional customers in each demo agent's teams, with that agent's notes and
    interactions (as if they had taken the calls)."""
    created = 0
    for account, seeded in zip(DEMO_PEOPLE, people, strict=True):
        if account.role != Role.AGENT:
            continue
        agent = caller_for_person(seeded.user, via=Via.COMMAND)
        for name in account.teams:
            created += demo_customers_seed(seeder=SEED, agent=agent, team=teams[name])
    return created


@transaction.atomic
def demo_seed() -> SeedResult:
    """Create whatever demo teams, accounts, factors, key and customers are missing; all or
    nothing. Each demo agent's teams get fictional customers, with the agent's notes.

    Running it again creates nothing and records nothing: each record is looked up first.
    """
    if settings.PRODUCTION:
        raise ServiceError("Demo data is never created in production.")
    created = 0
    teams: dict[str, Team] = {}
    for name in DEMO_TEAMS:
        teams[name], made = _ensure_team(name)
        created += made
    accounts: list[SeededAccount] = []
    for account in DEMO_PEOPLE:
        user, made = _ensure_user(account, teams)
        device, enrolled = _ensure_totp_device(user)
        created += made + enrolled
        accounts.append(_seeded_person(user, device))
    service_account, made = _ensure_user(DEMO_SERVICE_ACCOUNT, teams)
    api_key, plaintext, key_made = _ensure_api_key(service_account)
    created += made + key_made
    accounts.append(SeededAccount(service_account, None, None, None))
    customers = _seed_customers(teams, people=accounts[: len(DEMO_PEOPLE)])
    officer = next(a.user for a in accounts if a.user.username == "compliance.officer")
    created += demo_incidents_seed(
        seeder=SEED, officer=caller_for_person(officer, via=Via.COMMAND), team=teams[TEAM_NORTH]
    )
    return SeedResult(accounts, api_key, plaintext, created + customers, customers)
