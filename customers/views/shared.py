"""What the workspace pages share: form errors, and fields ready to show.

The values come from customers.selectors as the caller may see them (masked, history with
card numbers masked); here they are laid out for a page. Free text in a masked field is
masked for card numbers once more, behind the selectors' own masking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError
from ccplatform.redaction import mask_card_numbers
from customers.fields import FIELDS
from customers.models import Customer, InteractionChannel, InteractionOutcome
from customers.services.access_log import customer_integrity_failed

# Values with their own format (validated phone, email, account number, date, last four) are
# shown as they are; everything else is free text and is scanned for card numbers.
STRUCTURED_FIELDS = frozenset({"phones", "emails", "account_number", "date_of_birth", "card_last4"})


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def without_cards(text: str) -> str:
    return mask_card_numbers(text)[0]


def add_service_errors(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the form: by field where it names one, else at the top."""
    if not error.fields:
        form.add_error(None, error.message)
    for name, problems in error.fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def scrub_bound_form(form: forms.Form) -> None:
    """Mask card numbers in what a refused form shows back, so a page never echoes one."""
    data = form.data.copy()  # type: ignore[attr-defined]
    for name in form.fields:
        if name in data:
            data.setlist(name, [without_cards(str(value)) for value in data.getlist(name)])
    form.data = data


def field_errors(form: forms.Form) -> list[str]:
    return [str(problem) for problems in form.errors.values() for problem in problems]


def texts(name: str, value: object) -> list[str]:
    """A field value as lines of text ([] when empty)."""
    items = value if isinstance(value, list) else [] if value in (None, "") else [value]
    lines = [item.isoformat() if isinstance(item, dt.date) else str(item) for item in items]
    return lines if name in STRUCTURED_FIELDS else [without_cards(line) for line in lines]


@dataclass(frozen=True)
class ShownField:
    """One field of the customer page: masked, or revealed after a reason was given."""

    name: str
    label: str
    values: list[str]
    revealed: bool = False
    errors: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def open(self) -> bool:
        return bool(self.errors)


def shown_fields(
    masked: Mapping[str, Any],
    revealed: Mapping[str, Any],
    *,
    errors: Mapping[str, list[str]] | None = None,
    reason: str = "",
) -> list[ShownField]:
    errors = errors or {}
    return [
        ShownField(
            name=name,
            label=FIELDS[name].label,
            values=texts(name, revealed.get(name, value)),
            revealed=name in revealed,
            errors=errors.get(name, []),
            reason=reason if name in errors else "",
        )
        for name, value in masked.items()
    ]


def history_shown(
    history: Mapping[str, Iterable[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Notes and interactions (as the selector gives them) with the labels of their codes."""
    channels, outcomes = dict(InteractionChannel.choices), dict(InteractionOutcome.choices)
    interactions = [
        {
            **item,
            "channel_label": channels.get(item["channel"], item["channel"]),
            "outcome_label": outcomes.get(item["outcome"], item["outcome"]),
        }
        for item in history["interactions"]
    ]
    return {"notes": list(history["notes"]), "interactions": interactions}


def integrity_failure_page(
    request: HttpRequest, customer: Customer, *, operation: str
) -> HttpResponse:
    """A clear page (409, as the API answers) instead of a traceback or garbled values."""
    customer_integrity_failed(caller=caller_of(request), customer=customer, operation=operation)
    context = {
        "status": 409,
        "message": (
            "This customer's record failed its integrity check (its encrypted data was changed "
            "or moved), so nothing of it is shown. The failure has been recorded; report it to "
            "your supervisor or the security team."
        ),
        "request_id": getattr(request, "request_id", None),
    }
    return render(request, "error.html", context, status=409)
