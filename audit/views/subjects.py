"""The two questions an investigation starts with: who accessed this customer, and what did
this actor touch. Each page is the event list filtered on its subject plus a summary.

Summaries group the newest SUMMARY_WINDOW matching events (a bounded index range), so an
actor with millions of events costs what one with ten thousand does; the page says when the
window was full. A time range narrows both the list and the summary.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from audit.models import ActorKind, AuditEvent
from audit.permissions import can_read_events
from audit.search import (
    CUSTOMER_TYPE,
    EventFilter,
    EventFilterForm,
    filtered_events,
    naming_actions,
)
from audit.views.listing import (
    actor_label,
    actor_url,
    events_page,
    target_label,
    target_url,
    usernames,
    utc,
)
from ccplatform import gate

SUMMARY_WINDOW = 10_000
SUMMARY_ROWS = 100
NARROWING_FIELDS = ("action", "outcome", "since", "until")


def newest_events(event_filter: EventFilter) -> QuerySet[AuditEvent]:
    """The newest SUMMARY_WINDOW events of the filter, ready to be grouped."""
    newest_ids = filtered_events(event_filter).values("pk")[:SUMMARY_WINDOW]
    return AuditEvent.objects.filter(pk__in=newest_ids)


@dataclass
class Group:
    """Events of one actor (customer page) or about one target (actor page)."""

    label: str
    url: str
    events: int = 0
    first: datetime | None = None
    last: datetime | None = None
    actions: set[str] = field(default_factory=set)

    def add(self, action: str, count: int, first: datetime, last: datetime) -> None:
        self.events += count
        self.first = min(self.first, first) if self.first else first
        self.last = max(self.last, last) if self.last else last
        self.actions.add(action)

    @property
    def first_text(self) -> str:
        return utc(self.first) if self.first else ""

    @property
    def last_text(self) -> str:
        return utc(self.last) if self.last else ""

    @property
    def action_list(self) -> list[str]:
        return sorted(self.actions)


def _grouped(events: QuerySet[AuditEvent], keys: tuple[str, str]) -> list[dict[str, Any]]:
    return list(
        events.values(*keys, "action")
        .annotate(count=Count("pk"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by()
    )


def _summary(groups: dict[tuple[str, str], Group]) -> dict[str, Any]:
    oldest = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(groups.values(), key=lambda group: group.last or oldest, reverse=True)
    counted = sum(group.events for group in groups.values())
    return {
        "groups": ordered[:SUMMARY_ROWS],
        "group_count": len(ordered),
        "summary_rows": SUMMARY_ROWS,
        "window_full": counted >= SUMMARY_WINDOW,
        "window": SUMMARY_WINDOW,
    }


def accessors(event_filter: EventFilter) -> dict[str, Any]:
    """Per actor: how many events about the customer, first and last time, which actions."""
    rows = _grouped(newest_events(event_filter), ("actor_kind", "actor_id"))
    names = usernames((row["actor_kind"], row["actor_id"]) for row in rows)
    groups: dict[tuple[str, str], Group] = {}
    for row in rows:
        key = (row["actor_kind"], row["actor_id"])
        if key not in groups:
            groups[key] = Group(label=actor_label(*key, names), url=actor_url(*key))
        groups[key].add(row["action"], row["count"], row["first"], row["last"])
    return _summary(groups)


def touched(event_filter: EventFilter) -> dict[str, Any]:
    """Per target: how many events, first and last time, which actions; plus customers shown
    only on list pages or in search results (those name them in details, not as target)."""
    window = newest_events(event_filter)
    groups: dict[tuple[str, str], Group] = {}
    for row in _grouped(window.exclude(target_type=""), ("target_type", "target_id")):
        key = (row["target_type"], row["target_id"])
        if key not in groups:
            groups[key] = Group(label=target_label(*key), url=target_url(*key))
        groups[key].add(row["action"], row["count"], row["first"], row["last"])
    listed: set[str] = set()
    for details in window.filter(action__in=naming_actions()).values_list("details", flat=True):
        customers = details.get("customers", []) if isinstance(details, dict) else []
        listed.update(str(customer) for customer in customers)
    opened = {target_id for target_type, target_id in groups if target_type == CUSTOMER_TYPE}
    return {
        **_summary(groups),
        "customers_opened": len(opened),
        "customers_listed_only": len(listed - opened),
    }


def _narrowed(request: HttpRequest, **fixed: str) -> EventFilterForm:
    """The filter form from the query string, with the page's own subject fixed."""
    data = request.GET.copy()
    for name, value in fixed.items():
        data[name] = value
    return EventFilterForm(data)


@gate.page(can_read_events)
@require_GET
def customer_accesses(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """Who accessed this customer: every event about them, grouped by actor."""
    form = _narrowed(request, customer=str(customer_id))
    return events_page(
        request,
        form,
        template="audit/customer.html",
        page="customer",
        context={
            "customer_id": customer_id,
            "narrowing": [form[name] for name in NARROWING_FIELDS],
        },
        summarise=accessors,
    )


@gate.page(can_read_events)
@require_GET
def actor_activity(request: HttpRequest, kind: str, actor_id: str) -> HttpResponse:
    """What did this actor touch: their events, and the distinct targets and customers."""
    if kind not in ActorKind.values:
        raise Http404("No such kind of actor.")
    form = _narrowed(request, actor=f"{kind}:{actor_id}")
    names = usernames([(kind, actor_id)])
    return events_page(
        request,
        form,
        template="audit/actor.html",
        page="actor",
        context={
            "actor": actor_label(kind, actor_id, names),
            "actor_ref": f"{kind}:{actor_id}",
            "narrowing": [form[name] for name in NARROWING_FIELDS],
        },
        summarise=touched,
    )
