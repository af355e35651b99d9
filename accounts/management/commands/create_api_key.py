"""Create an API key for a service account and print it once (audited)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.management.commands.create_user import describe
from accounts.models import User
from accounts.services.api_keys import api_key_create
from ccplatform.callers import Caller, Via
from ccplatform.errors import ServiceError
from ccplatform.scopes import Scope

SCOPES = [scope.value for scope in Scope]

# Keys should be rotated; ten years is a ceiling that also keeps the date arithmetic in range.
MAX_DAYS = 3650
NAME_MAX_LENGTH = 50  # the key model's limit


class Command(BaseCommand):
    help = (
        "Create an API key for a service account (role integrator). The key is printed once; "
        "only its hash is stored. Send it as the header 'Authorization: Api-Key <key>'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the service account's username")
        parser.add_argument("--name", required=True, help="what the key is for (max 50 chars)")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help=f"one of: {', '.join(SCOPES)}; repeat for several",
        )
        parser.add_argument(
            "--expires-in-days", type=int, default=None, metavar="N", help="no expiry if left out"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = [scope for scope in options["scopes"] if scope not in SCOPES]
        if unknown:
            raise CommandError(
                f"Unknown scope {', '.join(repr(scope) for scope in unknown)}. "
                f"Valid scopes: {', '.join(SCOPES)}."
            )
        days: int | None = options["expires_in_days"]
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--expires-in-days must be a whole number from 1 to {MAX_DAYS}.")
        if len(options["name"].strip()) > NAME_MAX_LENGTH:
            raise CommandError(f"--name has at most {NAME_MAX_LENGTH} characters.")
        username: str = options["user"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            key, plaintext = api_key_create(
                caller=Caller.system("create_api_key", via=Via.COMMAND),
                user=user,
                name=options["name"],
                scopes=options["scopes"],
                expires_at=expires_at,
            )
        except ServiceError as error:
            raise CommandError(f"No key was created: {describe(error)}") from None
        expiry = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "no expiry"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created API key {key.name!r} (prefix {key.prefix}) for {user.username}: "
                f"scopes {', '.join(key.scopes)}; {expiry}."
            )
        )
        self.stdout.write(plaintext)
        self.stdout.write(
            "This key is not shown again: store it in the integrator's secret store now."
        )
