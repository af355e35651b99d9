"""Create a person or a service account from the command line (audited, all or nothing)."""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Role, Team, User
from accounts.services.users import user_create
from ccplatform.callers import Caller, Via
from ccplatform.errors import ServiceError

GENERATED_PASSWORD_BYTES = 24  # 32 URL-safe characters, well above the 15-character minimum


def describe(error: ServiceError) -> str:
    """A ServiceError as one readable block: the message, then each field's messages."""
    lines = [error.message]
    for field, messages in error.fields.items():
        lines.extend(f"  {field}: {message}" for message in messages)
    return "\n".join(lines)


def _read_password(stream: TextIO) -> str:
    # At a terminal, ask without echo; from a pipe, take the first line as it is.
    if stream.isatty():
        return getpass.getpass("Password: ")
    return stream.readline().rstrip("\r\n")


class Command(BaseCommand):
    help = (
        "Create a person (with a password) or a service account (role integrator, API keys "
        "only). People set up their authenticator app at their first sign-in."
    )
    # Lets tests pass the password through call_command(..., stdin=StringIO(...)).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument(
            "--team",
            action="append",
            default=[],
            dest="teams",
            metavar="NAME",
            help="a team the user works in (an existing team's name); repeat for several",
        )
        parser.add_argument("--email", default="")
        password = parser.add_mutually_exclusive_group()
        password.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (one line)",
        )
        password.add_argument(
            "--generate-password",
            action="store_true",
            help="generate a strong password and print it once",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = self._username(options["username"])
        role = self._role(options["role"])
        email = self._email(options["email"])
        password = self._password(role, options)
        with transaction.atomic():
            teams = self._teams(options["teams"])
            try:
                user = user_create(
                    caller=Caller.system("create_user", via=Via.COMMAND),
                    username=username,
                    role=role,
                    email=email,
                    teams=teams,
                    password=password,
                )
            except ServiceError as error:
                raise CommandError(
                    f"User {username!r} was not created: {describe(error)}"
                ) from None
        team_text = ", ".join(team.name for team in teams) or "no team"
        self.stdout.write(
            self.style.SUCCESS(f"Created {role.label.lower()} {user.username!r} ({team_text}).")
        )
        if options["generate_password"]:
            self.stdout.write(f"Password (shown only now, pass it on securely): {password}")
        if role == Role.INTEGRATOR:
            self.stdout.write(
                "It signs in with API keys only: manage.py create_api_key "
                f"--user {user.username} --name NAME --scope SCOPE"
            )
        else:
            self.stdout.write("At the first sign-in they set up an authenticator app.")

    def _username(self, value: str) -> str:
        username = value.strip()
        max_length = User._meta.get_field("username").max_length or 150
        try:
            User.username_validator(username)
        except ValidationError:
            raise CommandError(
                f"{username!r} is not a valid username: use letters, digits and @ . + - _ only."
            ) from None
        if not username or len(username) > max_length:
            raise CommandError(f"A username has 1 to {max_length} characters.")
        return username

    def _role(self, value: str) -> Role:
        if value not in Role.values:
            raise CommandError(f"Unknown role {value!r}. Valid roles: {', '.join(Role.values)}.")
        return Role(value)

    def _email(self, value: str) -> str:
        email = value.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not a valid email address.") from None
        return email

    def _password(self, role: Role, options: dict[str, Any]) -> str | None:
        from_stdin, generate = options["password_stdin"], options["generate_password"]
        if role == Role.INTEGRATOR:
            if from_stdin or generate:
                raise CommandError(
                    "A service account (role integrator) has no password: it uses API keys. "
                    "Leave out --password-stdin and --generate-password."
                )
            return None
        if generate:
            return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        if not from_stdin:
            raise CommandError(
                "A person needs a password: pass --password-stdin (and the password on "
                "standard input) or --generate-password."
            )
        password = _read_password(options.get("stdin") or sys.stdin)
        if not password:
            raise CommandError("No password was given on standard input.")
        return password

    def _teams(self, names: list[str]) -> list[Team]:
        wanted = list(dict.fromkeys(name.strip() for name in names))
        found = {team.name: team for team in Team.objects.filter(name__in=wanted)}
        missing = [name for name in wanted if name not in found]
        if missing:
            known = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(
                f"No team named {', '.join(repr(name) for name in missing)}. "
                f"Existing teams: {known}."
            )
        return [found[name] for name in wanted]
