"""Searching the audit log: the filters (validated by a form) and keyset pagination.

Every filter is matched by an index that ends in (occurred_at, id), and pages continue from
the last row shown ("older than this one") instead of an OFFSET, so the hundredth page of a
search over millions of events costs what the first does. Used by the compliance pages, the
API and the exports.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from audit.actions import Category, names_in
from audit.models import ActorKind, AuditEvent, Outcome

CUSTOMER_TYPE = "customers.customer"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class EventFilterForm(forms.Form):
    """The search filters; every field is optional and they combine with AND."""

    actor = forms.CharField(
        required=False,
        max_length=120,
        help_text='A username, or "kind:id" (user:…, api_key:…, system:…).',
    )
    customer = forms.UUIDField(required=False, help_text="Events about this customer.")
    action = forms.RegexField(
        required=False,
        max_length=100,
        regex=r"^[a-z][a-z0-9_.]*\*?$",
        help_text='A dotted action such as customer.revealed, or a prefix such as "customer.*".',
        error_messages={"invalid": "Use a dotted action such as customer.revealed or customer.*"},
    )
    outcome = forms.ChoiceField(required=False, choices=[("", "any"), *Outcome.choices])
    since = forms.DateTimeField(required=False, help_text="From this time (inclusive), UTC.")
    until = forms.DateTimeField(required=False, help_text="Before this time (exclusive), UTC.")
    request_id = forms.CharField(required=False, max_length=64)

    def clean_actor(self) -> tuple[str, str] | None:
        value = self.cleaned_data["actor"].strip()
        if not value:
            return None
        kind, sep, actor_id = value.partition(":")
        if sep and kind in ActorKind.values and actor_id:
            return kind, actor_id
        user = get_user_model().objects.filter(username=value).only("pk").first()
        if user is None:
            raise ValidationError('No user has this username; or give "kind:id".')
        return ActorKind.USER.value, str(user.pk)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be after 'since'.")
        return cleaned


@dataclass(frozen=True)
class EventFilter:
    actor: tuple[str, str] | None = None
    customer: str | None = None
    action: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None
    request_id: str = ""

    @classmethod
    def from_form(cls, form: EventFilterForm) -> EventFilter:
        data = form.cleaned_data
        return cls(
            actor=data.get("actor"),
            customer=str(data["customer"]) if data.get("customer") else None,
            action=data.get("action") or "",
            outcome=data.get("outcome") or "",
            since=data.get("since"),
            until=data.get("until"),
            request_id=(data.get("request_id") or "").strip(),
        )


def naming_actions() -> tuple[str, ...]:
    """Events that name customers in details["customers"] rather than as their target: a
    masked list page, and a search's results. "Who accessed this customer" includes them.

    The partial GIN index of migration 0005 is built for exactly these names (a test holds
    the two together): a new action of this category needs a migration of that index.
    """
    return names_in(Category.RECORDS_NAMED)


def _about_customer(customer_id: str) -> Q:
    """Events whose target is the customer, and list pages and searches that showed them."""
    named = Q(action__in=naming_actions())
    if connection.vendor == "postgresql":
        named &= Q(details__contains={"customers": [customer_id]})
    else:
        named &= Q(details__icontains=customer_id)
    return Q(target_type=CUSTOMER_TYPE, target_id=customer_id) | named


def filtered_events(event_filter: EventFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first."""
    events = AuditEvent.objects.all()
    if event_filter.actor:
        events = events.filter(actor_kind=event_filter.actor[0], actor_id=event_filter.actor[1])
    if event_filter.customer:
        events = events.filter(_about_customer(event_filter.customer))
    if event_filter.action.endswith("*"):
        events = events.filter(action__startswith=event_filter.action[:-1])
    elif event_filter.action:
        events = events.filter(action=event_filter.action)
    if event_filter.outcome:
        events = events.filter(outcome=event_filter.outcome)
    if event_filter.since:
        events = events.filter(occurred_at__gte=event_filter.since)
    if event_filter.until:
        events = events.filter(occurred_at__lt=event_filter.until)
    if event_filter.request_id:
        events = events.filter(request_id=event_filter.request_id)
    return events.order_by("-occurred_at", "-id")


# --- Keyset pagination ------------------------------------------------------------------


class CursorError(ValueError):
    """A page cursor that this module did not make."""


def encode_cursor(event: AuditEvent) -> str:
    text = f"{event.occurred_at.isoformat()}|{event.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment, _sep, event_id = text.partition("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive")
        return parsed, int(event_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise CursorError("This page cursor is not valid; start from the first page.") from None


def older_than(events: QuerySet[AuditEvent], cursor: str) -> QuerySet[AuditEvent]:
    """The events after `cursor` in newest-first order.

    `occurred_at <= t` bounds the index scan; the OR settles rows at the same instant.
    """
    moment, event_id = decode_cursor(cursor)
    return events.filter(occurred_at__lte=moment).filter(
        Q(occurred_at__lt=moment) | Q(occurred_at=moment, id__lt=event_id)
    )


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    next_cursor: str | None


def page_of(events: QuerySet[AuditEvent], *, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One page of `events` (already filtered and ordered newest first)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    if cursor:
        events = older_than(events, cursor)
    rows = list(events[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(events=rows, next_cursor=encode_cursor(rows[-1]) if has_more else None)


def iterate(events: QuerySet[AuditEvent], *, chunk: int = MAX_PAGE_SIZE) -> Iterator[AuditEvent]:
    """Every event of `events`, newest first, in keyset chunks (constant memory)."""
    cursor: str | None = None
    while True:
        page = page_of(events, cursor=cursor, size=chunk)
        yield from page.events
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
