"""Pages of the breach workflow (/compliance/incidents/...)."""

from __future__ import annotations

from django.urls import URLPattern, path

from incidents.views import incident, register, response

app_name = "incidents"

urlpatterns: list[URLPattern] = [
    path("", register.incident_register, name="register"),
    path("new/", register.incident_new, name="new"),
    path("notices/", register.notices_due, name="notices"),
    path("<uuid:incident_id>/", incident.incident_page, name="incident"),
    path("<uuid:incident_id>/note/", incident.incident_note, name="note"),
    path("<uuid:incident_id>/step/", incident.incident_step, name="step"),
    path("<uuid:incident_id>/facts/", response.incident_facts, name="facts"),
    path("<uuid:incident_id>/clocks/", response.incident_clocks, name="clocks"),
    path("<uuid:incident_id>/affected/", response.incident_affected, name="affected"),
    path("<uuid:incident_id>/containment/", response.incident_containment, name="containment"),
    path("<uuid:incident_id>/review/", response.incident_review, name="review"),
    path(
        "<uuid:incident_id>/notices/<int:obligation_id>/decision/",
        response.obligation_decision,
        name="decision",
    ),
    path(
        "<uuid:incident_id>/notices/<int:obligation_id>/draft/",
        response.obligation_draft,
        name="draft",
    ),
]
