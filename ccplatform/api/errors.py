"""The API's exception handler: every error in one body, with field messages and request id."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import ServiceError, error_body

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


INTEGRITY_MESSAGE = (
    "This record failed its integrity check (its encrypted data was changed or moved), so "
    "it cannot be shown or changed. The failure has been recorded; report it to security."
)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    if isinstance(exc, DecryptionError):
        # The cause stays out of the body (it names keys and rows). Recording the audit
        # event is the job of the app's view, which knows the record (ccplatform has no audit).
        body = error_body("integrity_failure", INTEGRITY_MESSAGE, django_request)
        return Response(body, status=status.HTTP_409_CONFLICT)
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(exc, ServiceError) and isinstance(retry_after, int):
        # A service's own rate limit (e.g. customers' reveal allowance): a 429 like DRF's.
        body = error_body("throttled", exc.message, django_request)
        limited = Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS)
        limited["Retry-After"] = str(max(retry_after, 1))
        return limited
    if isinstance(exc, ServiceError):
        body = error_body("rule_violated", exc.message, django_request, exc.fields or None)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        body = error_body("too_large", "The request body is too large.", django_request)
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's 500 handler answers with the generic JSON error
    assert isinstance(exc, exceptions.APIException)
    code = _CODES.get(response.status_code, exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body(code, "Some fields are invalid.", django_request, fields)
    else:
        response.data = error_body(code, _message(exc.detail), django_request)
    return response
