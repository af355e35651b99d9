"""Platform endpoints of the API (/api/v1/...)."""

from __future__ import annotations

from django.urls import path

from ccplatform.api.views import StatusApi

urlpatterns = [
    path("status/", StatusApi.as_view(), name="api-status"),
]
