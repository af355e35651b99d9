"""Errors shared by every app, the one map from an error to what the caller is told, and the
generic error pages.

An exception of ours carries its HTTP status and code (`PlatformError`): a broken rule is a
`ServiceError` (400), a limit reached is `RateLimitError` (429 with Retry-After), a refusal
of the gate is `AccessDeniedError` (403). `error_info` is the one function that turns any exception
the platform answers on purpose into (status, code, message, fields, headers); the API's
exception handler and the pages both use it, so the same rule answers alike everywhere.
The error pages carry the request id (for support) and never a traceback: API paths get the
JSON error body, browser paths a plain page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ccplatform.context import current_request
from ccplatform.crypto.providers import DecryptionError

if TYPE_CHECKING:
    from ccplatform.permissions import Decision


class PlatformError(Exception):
    """An error the platform answers on purpose; the message is safe to show to the caller.

    `fields` maps input names to messages when the error concerns specific fields.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "rule_violated"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def headers(self) -> dict[str, str]:
        return {}


class ServiceError(PlatformError):
    """A request that breaks a business rule (400)."""


class RateLimitError(ServiceError):
    """Too many of something in a short time; try again after `retry_after` seconds (429)."""

    status = 429
    code = "throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(int(retry_after), 1)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ConflictError(ServiceError):
    """The request clashes with the current state of a record (409)."""

    status = 409
    code = "conflict"


class AccessDeniedError(PlatformError, PermissionDenied):
    """The gate refused: `decision` says which rule and why (403; already audited).

    It is also Django's PermissionDenied, so whatever does not know it still answers 403.
    """

    status = 403
    code = "forbidden"

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message or "You do not have permission to do this.")
        self.decision = decision


INTEGRITY_MESSAGE = (
    "This record failed its integrity check (its encrypted data was changed or moved), so "
    "it cannot be shown or changed. The failure has been recorded; report it to security."
)


# --- The one map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorInfo:
    status: int
    code: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


_GENERIC = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_authenticated", "Sign in again."),
    403: ("forbidden", "You do not have permission to do this."),
    404: ("not_found", "Nothing was found at this address."),
    409: ("integrity_failure", INTEGRITY_MESSAGE),
    413: ("too_large", "The request body is too large."),
    500: ("server_error", "Something went wrong on our side. It has been logged."),
}


def generic(status: int) -> ErrorInfo:
    code, message = _GENERIC[status]
    return ErrorInfo(status, code, message)


def error_info(exc: BaseException) -> ErrorInfo | None:
    """What the caller is told about `exc`, or None for an exception nobody answers on purpose.

    Decryption failures count as integrity failures: their own text names keys and rows and
    stays in the log; the caller gets the fixed message.
    """
    if isinstance(exc, PlatformError):
        return ErrorInfo(exc.status, exc.code, exc.message, dict(exc.fields), exc.headers())
    if isinstance(exc, DecryptionError):
        return generic(409)
    if isinstance(exc, Http404):
        return generic(404)
    if isinstance(exc, PermissionDenied):
        return generic(403)
    if isinstance(exc, RequestDataTooBig):
        return generic(413)
    return None


# --- Rendering -------------------------------------------------------------------------------


def request_id_of(request: HttpRequest | None) -> str | None:
    rid = getattr(request, "request_id", None)
    if isinstance(rid, str):
        return rid
    info = current_request()
    return info.request_id if info else None


def error_body(
    code: str, message: str, request: HttpRequest | None, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The one error shape of the API: {"error": {code, message, fields?}, "request_id"}."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error, "request_id": request_id_of(request)}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(request: HttpRequest, info: ErrorInfo) -> HttpResponse:
    """The JSON error body on API paths, the error page elsewhere."""
    response: HttpResponse
    if is_api(request):
        body = error_body(info.code, info.message, request, info.fields or None)
        response = JsonResponse(body, status=info.status)
    else:
        context = {
            "status": info.status,
            "message": info.message,
            "problems": [problem for problems in info.fields.values() for problem in problems],
            "request_id": request_id_of(request),
        }
        response = render(request, "error.html", context, status=info.status)
    for name, value in info.headers.items():
        response[name] = value
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, generic(400))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, (error_info(exception) if exception else None) or generic(403))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, generic(404))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, generic(500))
