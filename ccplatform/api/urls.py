"""Endpoints of the API (/api/v1/...): the platform's own, and each app's by include."""

from __future__ import annotations

from django.urls import include, path

from ccplatform.api.views import StatusApi

urlpatterns = [
    path("status/", StatusApi.as_view(), name="api-status"),
    path("", include("customers.api.urls")),
    path("audit/", include("audit.api.urls")),
    path("incidents/", include("incidents.api.urls")),
]
