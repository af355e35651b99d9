"""Platform API views."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.api.schema import ERROR_RESPONSES
from ccplatform.callers import caller_of
from ccplatform.gate import api
from ccplatform.permissions import can_use_platform


class StatusApi(APIView):
    """Who the caller is and which API version answers: a first call for integrators."""

    permission_classes = [api(can_use_platform)]

    @extend_schema(
        summary="Caller and API version",
        responses={
            200: inline_serializer(
                "Status",
                {"version": serializers.CharField(), "authenticated_as": serializers.CharField()},
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": settings.CCPLATFORM_VERSION,
                "authenticated_as": str(caller_of(request).user_id or ""),
            }
        )
