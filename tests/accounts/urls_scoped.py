"""A test-only URL conf: API views guarded by ScopeOrPermission and PeopleOnly.

The product has no customer endpoints yet, so these stand in for them; paths live under
/api/ so errors get the API's JSON body, and the platform's own URLs are kept alongside.
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import PeopleOnly, ScopeOrPermission


class CustomersRead(ScopeOrPermission):
    scope = "customers:read"
    permission = "accounts.view_user"


class ScopedApi(APIView):
    permission_classes = [CustomersRead]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class PeopleOnlyApi(APIView):
    permission_classes = [PeopleOnly]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/test/scoped/", ScopedApi.as_view()),
    path("api/v1/test/people-only/", PeopleOnlyApi.as_view()),
    path("", include("ccplatform.urls")),
]
