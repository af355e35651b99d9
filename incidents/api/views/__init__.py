"""Incidents API views: one class per operation. IncidentsApi, IncidentApi and AffectedSetsApi
only join the operations that share a URL (customers.api.views.common.SharedUrl)."""

from __future__ import annotations

from incidents.api.views.register import IncidentApi, IncidentsApi
from incidents.api.views.response import (
    AffectedCustomersApi,
    AffectedSetsApi,
    IncidentContainmentApi,
    IncidentReviewApi,
)
from incidents.api.views.workflow import (
    IncidentNoteApi,
    IncidentTransitionApi,
    ObligationDecisionApi,
    ObligationDraftApi,
    OpenObligationsApi,
)

__all__ = [
    "AffectedCustomersApi",
    "AffectedSetsApi",
    "IncidentApi",
    "IncidentContainmentApi",
    "IncidentNoteApi",
    "IncidentReviewApi",
    "IncidentTransitionApi",
    "IncidentsApi",
    "ObligationDecisionApi",
    "ObligationDraftApi",
    "OpenObligationsApi",
]
