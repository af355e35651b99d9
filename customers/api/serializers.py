"""Serializers of the customers API: the shared output shapes and the strict input base.

Output serializers describe what the services return (masked records, revealed values,
notes, interactions); input serializers live in their views and build on `StrictInput`,
which refuses any key it does not declare, so a client can never set a field by guessing
its name (no mass assignment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from ccplatform.api.schema import ErrorBody
from ccplatform.crypto.blind_index import LookupKind, NormalisationError, normalise
from ccplatform.redaction import mask_card_numbers
from customers.models import InteractionChannel, InteractionOutcome

LIST_ITEMS = 10
CARD_NUMBER_REFUSED = (
    "A full card number is never accepted: send the card token and the last 4 digits."
)
LAST4 = re.compile(r"^\d{4}$")

INTEGRITY_RESPONSE = {
    409: OpenApiResponse(
        ErrorBody,
        description=(
            "`integrity_failure`: the record's encrypted data failed its integrity check "
            "(changed or moved in the database). Nothing is shown; the failure is audited."
        ),
    )
}


# --- Input ------------------------------------------------------------------------------------


class FlatListField(serializers.ListField):
    """A list whose item errors read "Item 2: ...", so `fields` stays a list of messages."""

    def to_internal_value(self, data: Any) -> list[Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, Mapping):
                raise
            messages = [
                f"Item {int(index) + 1}: {message}"
                for index, item_errors in error.detail.items()
                for message in item_errors
            ]
            raise serializers.ValidationError(messages) from None


class StrictInput(serializers.Serializer[dict[str, Any]]):
    """Accepts only the keys it declares; names every other key in a 400.

    `read_only_names` are fields a client sees in responses but may not set here; they get
    a message saying so, any other unknown key "Unknown field."
    """

    read_only_names: ClassVar[frozenset[str]] = frozenset()

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unexpected = sorted(set(data) - writable, key=str)
            if unexpected:
                raise serializers.ValidationError(
                    {
                        str(name): [
                            "This field is read-only."
                            if name in self.read_only_names
                            else "Unknown field."
                        ]
                        for name in unexpected
                    }
                )
        validated: dict[str, Any] = super().to_internal_value(data)
        return validated


def _check_each(kind: LookupKind, values: list[str]) -> list[str]:
    errors = []
    for index, value in enumerate(values, start=1):
        try:
            normalise(kind, value)
        except NormalisationError as error:
            errors.append(f"Item {index}: {error}")
    if errors:
        raise serializers.ValidationError(errors)
    return values


class CustomerValuesInput(StrictInput):
    """The personal fields a client may set, checked for shape; services enforce the rules."""

    read_only_names = frozenset({"id", "created_at", "updated_at", "assigned_to", "data_key"})

    name = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    addresses = FlatListField(
        child=serializers.CharField(max_length=500), max_length=LIST_ITEMS, required=False
    )
    phones = FlatListField(
        child=serializers.CharField(max_length=40), max_length=LIST_ITEMS, required=False
    )
    emails = FlatListField(
        child=serializers.CharField(max_length=254), max_length=LIST_ITEMS, required=False
    )
    account_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    card_token = serializers.CharField(max_length=128, required=False, allow_blank=True)
    card_last4 = serializers.CharField(
        max_length=4, required=False, allow_blank=True, help_text="Only the last 4 digits."
    )
    medical_notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)

    def validate_phones(self, value: list[str]) -> list[str]:
        return _check_each(LookupKind.PHONE, value)

    def validate_emails(self, value: list[str]) -> list[str]:
        return _check_each(LookupKind.EMAIL, value)

    def validate_account_number(self, value: str) -> str:
        if value:
            _check_each(LookupKind.ACCOUNT_NUMBER, [value])
        return value

    def validate_card_last4(self, value: str) -> str:
        if value and not LAST4.match(value):
            raise serializers.ValidationError("Only the last 4 digits of a card are kept.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # PCI: a card number (PAN) must never reach storage, in any field. Phone numbers and
        # account numbers are exempt: they are validated identifiers of their own, and about
        # one in ten genuine 12-19 digit ones passes Luhn by chance.
        errors = {
            field: [CARD_NUMBER_REFUSED]
            for field, value in attrs.items()
            if field not in NOT_CARD_NUMBERS and _holds_card_number(value)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


NOT_CARD_NUMBERS = frozenset({"phones", "account_number"})


def _holds_card_number(value: object) -> bool:
    if isinstance(value, str):
        return mask_card_numbers(value)[1] > 0
    if isinstance(value, list):
        return any(_holds_card_number(item) for item in value)
    return False


# --- Output -----------------------------------------------------------------------------------


class MaskedCustomerSerializer(serializers.Serializer[Any]):
    """A customer as shown before any reveal: every personal value masked."""

    id = serializers.UUIDField()
    team = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    name = serializers.CharField(help_text="Masked, e.g. `J••• D•••`.")
    date_of_birth = serializers.CharField(help_text="Masked: `••••-••-••`, or empty.")
    addresses = serializers.ListField(child=serializers.CharField())
    phones = serializers.ListField(
        child=serializers.CharField(), help_text="Masked, e.g. `•••• •• 4567`."
    )
    emails = serializers.ListField(
        child=serializers.CharField(), help_text="Masked, e.g. `j•••@example.com`."
    )
    account_number = serializers.CharField(help_text="Masked to the last 4 digits.")
    card_last4 = serializers.CharField(help_text="Masked, e.g. `•••• 1111`.")
    medical_notes = serializers.CharField(
        required=False,
        help_text="Only for callers with the medical permission (never API keys).",
    )


class RevealedSerializer(serializers.Serializer[Any]):
    """The plaintext of the fields asked for, and only those."""

    name = serializers.CharField(required=False)
    # Text, not DateField: an unset date is "" here, as in the masked record.
    date_of_birth = serializers.CharField(required=False, help_text="YYYY-MM-DD, or empty.")
    addresses = serializers.ListField(child=serializers.CharField(), required=False)
    phones = serializers.ListField(child=serializers.CharField(), required=False)
    emails = serializers.ListField(child=serializers.CharField(), required=False)
    account_number = serializers.CharField(required=False)
    card_last4 = serializers.CharField(required=False)
    medical_notes = serializers.CharField(required=False)


class NoteSerializer(serializers.Serializer[Any]):
    """A note; card numbers in it were masked to the last 4 digits before it was saved."""

    id = serializers.UUIDField()
    author = serializers.CharField(help_text="Username of the person or service account.")
    created_at = serializers.DateTimeField()
    body = serializers.CharField()


class InteractionSerializer(serializers.Serializer[Any]):
    """A call, chat or email with the customer and how it ended."""

    id = serializers.UUIDField()
    agent = serializers.CharField(help_text="Username of the person or service account.")
    channel = serializers.ChoiceField(InteractionChannel.choices)
    outcome = serializers.ChoiceField(InteractionOutcome.choices)
    occurred_at = serializers.DateTimeField()
    summary = serializers.CharField()
