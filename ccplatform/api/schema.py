"""OpenAPI pieces shared by every endpoint: the error body and the common error responses."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorBody = inline_serializer(
    "ErrorBody",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        ),
        "request_id": serializers.CharField(),
    },
)

ERROR_RESPONSES = {
    401: OpenApiResponse(ErrorBody, description="Not signed in or no valid API key."),
    403: OpenApiResponse(ErrorBody, description="Signed in, but not allowed."),
    404: OpenApiResponse(ErrorBody, description="Missing, or hidden from the caller."),
    429: OpenApiResponse(ErrorBody, description="Too many requests; see Retry-After."),
}
VALIDATION_RESPONSES = {
    400: OpenApiResponse(ErrorBody, description="Invalid input; `fields` names each problem."),
    **ERROR_RESPONSES,
}
