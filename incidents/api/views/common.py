"""What the incidents API views share: the records of an incident as the caller may reach
them, the detail response, and the paging of the lists.

The incident comes from incidents.selectors (hidden and missing alike, audited); a notice
or an affected set is looked up within that incident only, so an id of another incident's
record answers as a missing one does, and the attempt is recorded the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.api.pagination import StandardPagination
from ccplatform.callers import caller_of
from incidents.api.serializers import IncidentDetailSerializer
from incidents.models import AffectedSet, Incident, Obligation
from incidents.selectors import affected_set_get_for, incident_get_for, obligation_get_for

TAG = ["incidents"]


def incident_for(request: Request, incident_id: uuid.UUID) -> Incident:
    return incident_get_for(caller_of(request), incident_id)


def obligation_of(request: Request, incident: Incident, obligation_id: int) -> Obligation:
    return obligation_get_for(caller_of(request), incident, obligation_id)


def affected_set_of(request: Request, incident: Incident, set_id: int) -> AffectedSet:
    return affected_set_get_for(caller_of(request), incident, set_id)


def detail(
    incident: Incident, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The incident's whole record (IncidentDetailSerializer), every clock read at one moment."""
    body = IncidentDetailSerializer(incident, context={"now": timezone.now()}).data
    return Response(body, status=status, headers=headers)


def paged(
    request: Request,
    view: APIView,
    rows: QuerySet[Any],
    serializer: type[serializers.BaseSerializer[Any]],
) -> Response:
    """One page of `rows` (ccplatform.api.pagination), serialised, its clocks read at once."""
    paginator = StandardPagination()
    page = paginator.paginate_queryset(rows, request, view=view) or []
    data = serializer(page, many=True, context={"now": timezone.now()}).data
    return paginator.get_paginated_response(data)
