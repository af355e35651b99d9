"""A test-only URL conf: bare API views behind the gate's permission classes.

They stand in for real endpoints so that these tests check the gate alone (who gets in, what
a refusal answers and records), not what a customers or audit view returns. The scoped view
asks the product's "customers.view" rule (people with customers.view_customer, keys with
customers:read); the people-only view asks "accounts.own_security" (any verified person, no
key). Paths live under /api/ so errors get the API's JSON body, and the platform's own URLs
are kept alongside.
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import can_manage_own_security
from ccplatform.gate import api
from customers.api.permissions import CustomersRead


class ScopedApi(APIView):
    permission_classes = [CustomersRead]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


class PeopleOnlyApi(APIView):
    permission_classes = [api(can_manage_own_security)]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/test/scoped/", ScopedApi.as_view()),
    path("api/v1/test/people-only/", PeopleOnlyApi.as_view()),
    path("", include("ccplatform.urls")),
]
