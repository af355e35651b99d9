"""Browser forms of the agent workspace: shape only; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from accounts.selectors import Team
from ccplatform.crypto.blind_index import LookupKind
from customers.fields import FIELDS, REVEALABLE
from customers.models import InteractionChannel, InteractionOutcome
from customers.services.notes import MAX_TEXT

SEARCH_KINDS = [
    (LookupKind.PHONE.value, "Phone number"),
    (LookupKind.EMAIL.value, "Email address"),
    (LookupKind.ACCOUNT_NUMBER.value, "Account number"),
]
# Offered as suggestions only: the reason is free text, recorded with the reveal.
REVEAL_REASONS = (
    "Verifying the caller's identity",
    "Customer asked to confirm their details",
    "Updating the customer's details",
    "Processing a payment or refund",
)
# Personal values typed into these forms must not be kept by the browser's autofill.
_NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class SearchForm(forms.Form):
    kind = forms.ChoiceField(
        label="Search by",
        choices=SEARCH_KINDS,
        initial=LookupKind.PHONE.value,
        widget=forms.RadioSelect,
    )
    value = forms.CharField(
        label="Phone, email or account number",
        max_length=254,
        widget=forms.TextInput(attrs={**_NO_AUTOFILL, "autofocus": True}),
        help_text="Exact match. Phone numbers in any format, e.g. +1 555 123 4567.",
    )


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[], widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "reveal-reasons"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every revealable field is a valid choice: the reveal service refuses (and records)
        # a medical field asked for without the medical permission.
        self.fields["field"].choices = [(name, FIELDS[name].label) for name in REVEALABLE]  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Never type a card number: any found is masked to its last 4 digits.",
    )


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(choices=InteractionChannel.choices)
    outcome = forms.ChoiceField(choices=InteractionOutcome.choices)
    summary = forms.CharField(
        max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CustomerCreateForm(forms.Form):
    """A new customer for one of the caller's teams; lists take one value per line."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs=_NO_AUTOFILL))
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    phones = forms.CharField(
        label="Phone numbers",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={**_NO_AUTOFILL, "rows": 2}),
        help_text="One per line.",
    )
    emails = forms.CharField(
        label="Email addresses",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={**_NO_AUTOFILL, "rows": 2}),
        help_text="One per line.",
    )
    addresses = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={**_NO_AUTOFILL, "rows": 2}),
        help_text="One address per line.",
    )
    account_number = forms.CharField(
        required=False, max_length=40, widget=forms.TextInput(attrs=_NO_AUTOFILL)
    )
    card_last4 = forms.CharField(
        label="Card (last 4 digits only)",
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={**_NO_AUTOFILL, "inputmode": "numeric"}),
    )
    medical_notes = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, teams: QuerySet[Team], medical_allowed: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
        if not medical_allowed:
            del self.fields["medical_notes"]

    def values(self) -> dict[str, Any]:
        """The customer's field values, in the shape the services take (empty ones left out)."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "date_of_birth": data.get("date_of_birth"),
            "phones": _lines(data.get("phones", "")),
            "emails": _lines(data.get("emails", "")),
            "addresses": _lines(data.get("addresses", "")),
            "account_number": data.get("account_number", ""),
            "card_last4": data.get("card_last4", ""),
            "medical_notes": data.get("medical_notes", ""),
        }
        return {name: value for name, value in values.items() if value not in (None, "", [])}
