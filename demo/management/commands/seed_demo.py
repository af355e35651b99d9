"""Create the demo teams and accounts (idempotent) and print how to sign in. Development only."""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from accounts.management.commands.create_user import describe
from audit.services.verification import audit_verify
from ccplatform.errors import ServiceError
from demo.accounts import SEED, TEAM_NORTH, SeededAccount, SeedResult, demo_seed
from demo.customers import CUSTOMERS_PER_TEAM, demo_phone

# Where `make run` serves the embedded default.
BASE_URL = "http://127.0.0.1:8000"


def _teams(account: SeededAccount) -> list[str]:
    return sorted(team.name for team in account.user.teams.all())


def _as_json(result: SeedResult) -> dict[str, Any]:
    users = [
        {
            "username": account.user.username,
            "role": account.user.role,
            "teams": _teams(account),
            "password": account.password,
            "totp_secret": base64.b32encode(account.totp_key).decode()
            if account.totp_key
            else None,
            "totp_secret_hex": account.totp_key.hex() if account.totp_key else None,
        }
        for account in result.accounts
    ]
    api_key = {
        "service_account": result.api_key.user.username,
        "key": result.api_key_plaintext,
        "scopes": list(result.api_key.scopes),
    }
    return {"users": users, "api_key": api_key}


class Command(BaseCommand):
    help = (
        "Create demo teams, a demo account for every role and a demo integrator key, and "
        "print how to sign in (idempotent; refused in production)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="print only the accounts and the key, as JSON"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo refuses to run in production (CCPLATFORM_ENV=production): demo "
                "accounts have well-known sign-in details."
            )
        try:
            result = demo_seed()
        except ServiceError as error:
            raise CommandError(f"Demo data was not created: {describe(error)}") from None
        if result.created:
            # So the compliance pages open on a verified log with signed chain heads.
            audit_verify(caller=SEED, full=False, trigger="seed_demo")
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result), indent=2))
        else:
            self._print(result)

    def _print(self, result: SeedResult) -> None:
        write = self.stdout.write
        if result.created:
            write(self.style.SUCCESS(f"Demo data ready ({result.created} records created)."))
        else:
            write(self.style.SUCCESS("Demo data already present (nothing created)."))
        write(
            f"\nSign in at {BASE_URL}{reverse('accounts:login')} with a password below, then\n"
            "the 6-digit code of an authenticator app set up with that person's TOTP secret."
        )
        rows = [("USERNAME", "ROLE", "TEAMS", "PASSWORD")]
        for account in result.accounts:
            if account.user.is_service_account:
                shown = "(none: API key only)"
            else:
                shown = account.password or "(changed since it was seeded)"
            teams = ", ".join(_teams(account)) or "-"
            rows.append((account.user.username, account.user.role, teams, shown))
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        write("")
        for row in rows:
            padded = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
            write("  " + "  ".join([*padded, row[3]]))
        write("\nAuthenticator (TOTP) secrets, base32: type one into the app, or open its URL.")
        for account in result.accounts:
            if account.totp_device is None:
                continue
            name = account.user.username.ljust(widths[0])
            if account.totp_key is None:
                write(f"  {name}  (another authenticator was set up since it was seeded)")
                continue
            write(f"  {name}  {base64.b32encode(account.totp_key).decode()}")
            write(f"  {'':{widths[0]}}  {account.totp_device.config_url}")
        key = result.api_key
        write(
            f"\nAPI key of the service account {key.user.username} "
            f"(scopes {', '.join(key.scopes)}):"
        )
        write(f"  {result.api_key_plaintext}")
        write(
            f"  try: curl -H 'Authorization: Api-Key {result.api_key_plaintext}' "
            f"{BASE_URL}/api/v1/status/"
        )
        write(
            f"\nDemo customers: {CUSTOMERS_PER_TEAM} fictional ones per team. Sign in as "
            f"agent.north, open {BASE_URL}{reverse('customers:workspace')} and search for the "
            f"phone number {demo_phone(TEAM_NORTH)}."
        )
