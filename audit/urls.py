"""Compliance officer pages of the audit log (/compliance/audit/...)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from audit.views import alerts, chains, events, subjects

app_name = "audit"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", events.event_search, name="events"),
    re_path(r"^export/(?P<fmt>csv|jsonl)/$", events.event_export, name="export"),
    path("customers/<uuid:customer_id>/", subjects.customer_accesses, name="customer"),
    # Actor ids are user UUIDs, API key prefixes or system job names (which may hold spaces).
    path("actors/<str:kind>/<path:actor_id>/", subjects.actor_activity, name="actor"),
    path("alerts/", alerts.alert_queue, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<uuid:alert_id>/close/", alerts.alert_close, name="alert_close"),
    path("chains/", chains.chain_status, name="chains"),
    path("chains/verify/", chains.verify_now, name="verify"),
]
