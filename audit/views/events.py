"""Event search (/compliance/audit/) and the download of the current search as CSV or JSON
Lines. Filters travel in the query string, so a search is a link that can be shared with a
colleague who holds the same permission; it holds ids and actions, never personal values.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.exporting import streaming_export
from audit.permissions import can_export_events, can_read_events
from audit.search import EventFilter, EventFilterForm, filtered_events, iterate
from audit.services.reads import audit_exported
from audit.views.listing import events_page
from ccplatform import gate
from ccplatform.callers import caller_of

SEARCH_TEMPLATE = "audit/search.html"


@gate.page(can_read_events)
@require_GET
def event_search(request: HttpRequest) -> HttpResponse:
    """Search by actor, customer, action, outcome, time range and request id, newest first."""
    return events_page(
        request, EventFilterForm(request.GET), template=SEARCH_TEMPLATE, page="search"
    )


@gate.page(can_export_events)
@require_GET
def event_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Every event of the current search, streamed; the export is audited before it starts."""
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        return render(request, SEARCH_TEMPLATE, {"form": form}, status=400)
    event_filter = EventFilter.from_form(form)
    audit_exported(caller=caller_of(request), event_filter=event_filter, fmt=fmt)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return streaming_export(
        iterate(filtered_events(event_filter)), fmt=fmt, filename=f"audit-events-{stamp}"
    )
