"""What the pages that list events share: rows ready to show, keyset pages, and the audit
event that every such page records about itself (auditors see who looked at the log).

Rows carry text and links only; the templates do no lookups. Usernames of user actors are
resolved for a whole page in one query through the configured user model (the audit app
does not import the accounts app).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from audit.models import ActorKind, AuditEvent
from audit.search import (
    CUSTOMER_TYPE,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    CursorError,
    EventFilter,
    EventFilterForm,
    filtered_events,
    page_of,
)
from audit.services.reads import audit_searched
from ccplatform.callers import caller_of

ACTOR_KIND_LABELS = {"user": "", "api_key": "API key ", "system": "system: "}


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class PageForm(forms.Form):
    """Where a listing continues and how long a page is; bad values are field errors (400)."""

    cursor = forms.CharField(required=False, max_length=200)
    size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def page_size(self) -> int:
        return self.cleaned_data.get("size") or PAGE_SIZE


def usernames(actors: Iterable[tuple[str, str]]) -> dict[str, str]:
    """user id → username for the user actors among (kind, id) pairs, in one query (or none)."""
    user_model = get_user_model()
    ids = []
    for actor_id in {actor_id for kind, actor_id in actors if kind == ActorKind.USER}:
        try:
            ids.append(user_model._meta.pk.to_python(actor_id))
        except (ValidationError, ValueError, TypeError):
            continue  # not an id of this user model (an old or foreign row): shown as recorded
    if not ids:
        return {}
    rows = user_model.objects.filter(pk__in=ids).values_list("pk", user_model.USERNAME_FIELD)
    return {str(pk): str(name) for pk, name in rows}


def actor_label(kind: str, actor_id: str, names: dict[str, str]) -> str:
    if kind == ActorKind.USER and actor_id in names:
        return names[actor_id]
    return f"{ACTOR_KIND_LABELS.get(kind, kind + ':')}{actor_id}"


def actor_url(kind: str, actor_id: str) -> str:
    if kind not in ActorKind.values or not actor_id:
        return ""
    try:
        return reverse("audit:actor", kwargs={"kind": kind, "actor_id": actor_id})
    except NoReverseMatch:
        return ""


def target_label(target_type: str, target_id: str) -> str:
    if not target_type:
        return ""
    if target_type == CUSTOMER_TYPE:
        return f"customer {target_id}"
    return f"{target_type} {target_id}".strip()


def target_url(target_type: str, target_id: str) -> str:
    if target_type != CUSTOMER_TYPE:
        return ""
    try:
        return reverse("audit:customer", kwargs={"customer_id": target_id})
    except NoReverseMatch:
        return ""  # a customer id that is not a UUID: shown, not linked


@dataclass(frozen=True)
class EventRow:
    """One line of an event table."""

    event: AuditEvent
    time: str
    actor: str
    actor_url: str
    target: str
    target_url: str
    request_url: str


def event_rows(events: Sequence[AuditEvent]) -> list[EventRow]:
    names = usernames((event.actor_kind, event.actor_id) for event in events)
    search = reverse("audit:events")
    return [
        EventRow(
            event=event,
            time=utc(event.occurred_at),
            actor=actor_label(event.actor_kind, event.actor_id, names),
            actor_url=actor_url(event.actor_kind, event.actor_id),
            target=target_label(event.target_type, event.target_id),
            target_url=target_url(event.target_type, event.target_id),
            request_url=(
                f"{search}?{QueryDict.fromkeys(['request_id'], event.request_id).urlencode()}"
                if event.request_id
                else ""
            ),
        )
        for event in events
    ]


def query_with(request: HttpRequest, **changes: str | None) -> str:
    """The request's query string with `changes` applied (None removes a parameter)."""
    params = request.GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params.urlencode()


@dataclass(frozen=True)
class Listing:
    rows: list[EventRow]
    next_url: str
    first_url: str
    continued: bool
    size: int


def listing(request: HttpRequest, events: QuerySet[AuditEvent], pager: PageForm) -> Listing:
    """One page of `events`; raises audit.search.CursorError for a cursor we did not make."""
    cursor = pager.cleaned_data.get("cursor") or None
    size = pager.page_size()
    page = page_of(events, cursor=cursor, size=size)
    next_url = f"?{query_with(request, cursor=page.next_cursor)}" if page.next_cursor else ""
    return Listing(
        rows=event_rows(page.events),
        next_url=next_url,
        first_url=f"?{query_with(request, cursor=None)}",
        continued=cursor is not None,
        size=size,
    )


def events_page(
    request: HttpRequest,
    form: EventFilterForm,
    *,
    template: str,
    page: str,
    context: dict[str, Any] | None = None,
    summarise: Callable[[EventFilter], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Validate the filter and the page position, show one page of events, record the view.

    Invalid input shows the form with its field errors and status 400; nothing is recorded,
    since no event was shown.
    """
    pager = PageForm(request.GET)
    context = {**(context or {}), "form": form, "pager": pager}
    if not (form.is_valid() and pager.is_valid()):
        return render(request, template, context, status=400)
    event_filter = EventFilter.from_form(form)
    try:
        shown = listing(request, filtered_events(event_filter), pager)
    except CursorError as error:
        return render(request, template, {**context, "error": str(error)}, status=400)
    if summarise is not None:
        context.update(summarise(event_filter))
    # The page's own audit event: which filter, which page size; ids only, no values.
    audit_searched(
        caller=caller_of(request),
        view=page,
        event_filter=event_filter,
        page_size=shown.size,
        shown=len(shown.rows),
        continued=shown.continued,
    )
    return render(
        request,
        template,
        {**context, "listing": shown, "filter_query": query_with(request, cursor=None, size=None)},
    )
