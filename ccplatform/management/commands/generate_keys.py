"""Print fresh field-encryption and blind-index keys, or add a version to an existing spec."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ccplatform.crypto.keygen import (
    add_version_note,
    fresh_key_rings,
    read_spec,
    source_name,
    spec_with_new_version,
)
from ccplatform.crypto.keyring import KeyRingError


class Command(BaseCommand):
    help = (
        "Print fresh FIELD_ENCRYPTION_KEYS=..., BLIND_INDEX_KEYS=... and AUDIT_CHECKPOINT_KEYS=... "
        "lines for a new "
        "deployment, or, with --add-to, an existing spec with one more key version (for "
        "rotation). Nothing is stored: put the output in your secret store. Where settings "
        "cannot load yet (production without keys), run `python -m ccplatform.crypto.keygen`."
    )
    # Lets tests give the spec through call_command(..., stdin=StringIO(...)).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--add-to",
            metavar="SPEC",
            help=(
                'an existing spec ("1:KEY,2:KEY"), or "-" to read it from standard input, '
                "which keeps keys out of the shell history and the process list"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["add_to"] is None:
            self.stdout.write("\n".join(fresh_key_rings()))
            return
        stdin = options.get("stdin") or sys.stdin
        try:
            spec, version = spec_with_new_version(
                read_spec(options["add_to"], stdin), name=source_name(options["add_to"])
            )
        except KeyRingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(spec)
        self.stderr.write(add_version_note(version))
