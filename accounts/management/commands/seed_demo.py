"""Create the demo accounts (idempotent) and print how to sign in. Development only."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.demo import demo_password
from accounts.models import User
from audit.services import audit_record
from ccplatform.context import Actor

DEMO_ADMIN = "demo.admin"


class Command(BaseCommand):
    help = "Create demo accounts for the embedded default (idempotent; refused in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the accounts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo refuses to run in production (CCPLATFORM_ENV=production)."
            )
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=DEMO_ADMIN, defaults={"is_staff": True, "is_superuser": True}
            )
            if created:
                user.set_password(demo_password(DEMO_ADMIN))
                user.save(update_fields=["password"])
                audit_record(
                    actor=Actor.system("seed_demo"),
                    action="user.created",
                    target=user,
                    details={"demo": True, "role": "superuser"},
                )
        accounts = [
            {"username": DEMO_ADMIN, "password": demo_password(DEMO_ADMIN), "role": "admin"}
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"users": accounts}, indent=2))
            return
        self.stdout.write(
            self.style.SUCCESS("Demo data ready." if created else "Demo data already present.")
        )
        for account in accounts:
            self.stdout.write(
                f"  sign in as {account['username']} / {account['password']} ({account['role']})"
            )
