"""The personal fields of a customer: their data category, kind, and how they are shown masked."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """Data categories, for retention policies and data-subject requests."""

    CONTACT = "contact"
    FINANCIAL = "financial"
    MEDICAL = "medical"


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    LIST = "list"  # several values (phones, emails, addresses)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    category: Category
    kind: Kind = Kind.TEXT


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("name", "Name", Category.CONTACT),
        FieldSpec("date_of_birth", "Date of birth", Category.CONTACT, Kind.DATE),
        FieldSpec("addresses", "Addresses", Category.CONTACT, Kind.LIST),
        FieldSpec("phones", "Phone numbers", Category.CONTACT, Kind.LIST),
        FieldSpec("emails", "Email addresses", Category.CONTACT, Kind.LIST),
        FieldSpec("account_number", "Account number", Category.FINANCIAL),
        FieldSpec("card_token", "Card token", Category.FINANCIAL),
        FieldSpec("card_last4", "Card (last 4)", Category.FINANCIAL),
        FieldSpec("medical_notes", "Medical notes", Category.MEDICAL),
    )
}
MEDICAL_FIELDS = frozenset(
    name for name, spec in FIELDS.items() if spec.category == Category.MEDICAL
)
REVEALABLE = tuple(name for name in FIELDS if name != "card_token")

DOT = "•"


def _mask_tail(value: str, keep: int = 4) -> str:
    digits = "".join(char for char in value if char.isdigit())
    return f"{DOT * 4} {DOT * 2} {digits[-keep:]}" if digits else DOT * 4


def mask_phone(value: str) -> str:
    return _mask_tail(value)


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}{DOT * 3}@{domain}" if domain else DOT * 4


def mask_card_last4(value: str) -> str:
    return f"{DOT * 4} {value[-4:]}" if value else ""


def mask_account_number(value: str) -> str:
    return f"{DOT * 4}{value[-4:]}" if len(value) > 4 else DOT * 4


def mask_name(value: str) -> str:
    return " ".join(f"{part[:1]}{DOT * 3}" for part in value.split()) or DOT * 4


def mask_value(field: str, value: object) -> object:
    """How a field looks before it is revealed. Medical notes and tokens show nothing."""
    if value in (None, "", []):
        return value
    if field == "phones":
        return [mask_phone(str(item)) for item in value]  # type: ignore[attr-defined]
    if field == "emails":
        return [mask_email(str(item)) for item in value]  # type: ignore[attr-defined]
    if field == "addresses":
        return [f"{DOT * 3} (hidden)" for _ in value]  # type: ignore[attr-defined]
    if field == "name":
        return mask_name(str(value))
    if field == "date_of_birth":
        return f"{DOT * 4}-{DOT * 2}-{DOT * 2}"
    if field == "account_number":
        return mask_account_number(str(value))
    if field == "card_last4":
        return mask_card_last4(str(value))
    return f"{DOT * 3} (hidden)"


def to_text(field: str, value: object) -> str:
    """The plaintext stored (encrypted) for a field value."""
    if FIELDS[field].kind == Kind.LIST:
        return json.dumps(list(value))  # type: ignore[call-overload]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_text(field: str, text: str) -> object:
    """The value of a field from its decrypted text."""
    kind = FIELDS[field].kind
    if kind == Kind.LIST:
        return json.loads(text)
    if kind == Kind.DATE:
        return dt.date.fromisoformat(text)
    return text
