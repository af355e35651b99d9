"""Incidents endpoints of the API (/api/v1/incidents/...). No route deletes anything: the
breach record is kept (HIPAA 164.316(b)(2)), so DELETE is a 405 everywhere."""

from __future__ import annotations

from django.urls import URLPattern, path

from incidents.api.views import (
    AffectedCustomersApi,
    AffectedSetsApi,
    IncidentApi,
    IncidentContainmentApi,
    IncidentNoteApi,
    IncidentReviewApi,
    IncidentsApi,
    IncidentTransitionApi,
    ObligationDecisionApi,
    ObligationDraftApi,
    OpenObligationsApi,
)

INCIDENT = "<uuid:incident_id>/"
OBLIGATION = f"{INCIDENT}obligations/<int:obligation_id>/"

urlpatterns: list[URLPattern] = [
    path("", IncidentsApi.as_view(), name="api-incidents"),
    path("obligations/", OpenObligationsApi.as_view(), name="api-incident-obligations"),
    path(INCIDENT, IncidentApi.as_view(), name="api-incident"),
    path(f"{INCIDENT}transition/", IncidentTransitionApi.as_view(), name="api-incident-transition"),
    path(f"{INCIDENT}notes/", IncidentNoteApi.as_view(), name="api-incident-notes"),
    path(f"{INCIDENT}affected/", AffectedSetsApi.as_view(), name="api-incident-affected"),
    path(
        f"{INCIDENT}affected/<int:set_id>/customers/",
        AffectedCustomersApi.as_view(),
        name="api-incident-affected-customers",
    ),
    path(
        f"{OBLIGATION}decision/",
        ObligationDecisionApi.as_view(),
        name="api-incident-obligation-decision",
    ),
    path(f"{OBLIGATION}draft/", ObligationDraftApi.as_view(), name="api-incident-obligation-draft"),
    path(
        f"{INCIDENT}containment/", IncidentContainmentApi.as_view(), name="api-incident-containment"
    ),
    path(f"{INCIDENT}review/", IncidentReviewApi.as_view(), name="api-incident-review"),
]
