"""New key ring specs for operators: fresh rings, or an existing spec with one more version.

Standard library only, so it runs before the platform can be configured:
`python -m ccplatform.crypto.keygen` (production settings refuse to load without keys, so
`manage.py generate_keys`, which prints the same, works only where settings already load).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from ccplatform.crypto.keyring import KeyRingError, new_key, parse_keyring

FIELD_VARIABLE = "FIELD_ENCRYPTION_KEYS"
BLIND_VARIABLE = "BLIND_INDEX_KEYS"
CHECKPOINT_VARIABLE = "AUDIT_CHECKPOINT_KEYS"
READ_STDIN = "-"


def fresh_spec() -> str:
    """A key ring spec with one new key, version 1."""
    return f"1:{new_key()}"


def fresh_key_rings() -> list[str]:
    """`FIELD_ENCRYPTION_KEYS=...`, `BLIND_INDEX_KEYS=...` and `AUDIT_CHECKPOINT_KEYS=...`
    lines, each with its own independent key."""
    return [
        f"{variable}={fresh_spec()}"
        for variable in (FIELD_VARIABLE, BLIND_VARIABLE, CHECKPOINT_VARIABLE)
    ]


def spec_with_new_version(spec: str, *, name: str = "the spec") -> tuple[str, str]:
    """`spec` (validated) with a new key appended as the next version: (new spec, version).

    The new version is the highest, so it becomes the active one unless an `..._ACTIVE_KEY`
    variable pins another. The existing entries are kept exactly as written.
    """
    ring = parse_keyring(spec, name=name)
    version = str(max(int(existing) for existing in ring.keys) + 1)
    return f"{spec.strip().rstrip(',')},{version}:{new_key()}", version


def read_spec(value: str, stdin: TextIO) -> str:
    """The spec itself, or read from standard input for "-" (keeps keys out of shell history)."""
    return stdin.read().strip() if value == READ_STDIN else value


def source_name(value: str) -> str:
    """Where a spec came from, for error messages (never the spec itself: it holds keys)."""
    return "the spec on standard input" if value == READ_STDIN else "--add-to"


def add_version_note(version: str) -> str:
    return (
        f"Version {version} added; it is the active version unless an ..._ACTIVE_KEY variable "
        "pins another. Give the new spec to every process (web, worker, beat) and restart "
        "them all before running `manage.py rotate_keys`."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ccplatform.crypto.keygen",
        description=(
            "Print fresh FIELD_ENCRYPTION_KEYS / BLIND_INDEX_KEYS / AUDIT_CHECKPOINT_KEYS rings, "
            "or an existing spec "
            "with one more key version."
        ),
    )
    parser.add_argument(
        "--add-to",
        metavar="SPEC",
        help='an existing spec ("1:KEY,..."), or "-" to read it from standard input',
    )
    options = parser.parse_args(argv)
    if options.add_to is None:
        print("\n".join(fresh_key_rings()))
        return 0
    try:
        spec, version = spec_with_new_version(
            read_spec(options.add_to, sys.stdin), name=source_name(options.add_to)
        )
    except KeyRingError as error:
        print(f"keygen: {error}", file=sys.stderr)
        return 2
    print(spec)
    print(add_version_note(version), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
