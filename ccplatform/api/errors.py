"""The API's exception handler: every error in one body, with field messages and request id.

What to answer comes from ccplatform.errors.error_info (the same map the pages use); DRF's
own exceptions (validation, authentication, throttling, parsing) keep their status and get
the same body.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ccplatform.errors import error_body, error_info

_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def _message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _message(detail[0])
    if isinstance(detail, dict):
        return "Some fields are invalid."
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    info = error_info(exc)
    if info is not None:
        body = error_body(info.code, info.message, django_request, info.fields or None)
        response = Response(body, status=info.status)
        for name, value in info.headers.items():
            response[name] = value
        return response
    drf_response = exception_handler(exc, context)
    if drf_response is None:
        return None  # unexpected: Django's 500 handler answers with the generic JSON error
    assert isinstance(exc, exceptions.APIException)
    code = _CODES.get(drf_response.status_code, exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        drf_response.data = error_body(code, "Some fields are invalid.", django_request, fields)
    else:
        drf_response.data = error_body(code, _message(exc.detail), django_request)
    return drf_response
