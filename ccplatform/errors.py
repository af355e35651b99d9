"""Errors shared by every app, and the generic error pages.

Services raise `ServiceError` for a broken rule; views turn it into a form error and the API
into a 400. The error pages carry the request id (for support) and never a traceback: API
paths get the JSON error body, browser paths a plain page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from ccplatform.context import current_request


class ServiceError(Exception):
    """A request that breaks a business rule; the message is safe to show to the caller.

    `fields` maps input names to messages when the rule concerns specific fields.
    """

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


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


_PAGES = {
    400: ("bad_request", "The request could not be understood."),
    403: ("forbidden", "You do not have permission to do this."),
    404: ("not_found", "Nothing was found at this address."),
    500: ("server_error", "Something went wrong on our side. It has been logged."),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error_response(request: HttpRequest, status: int) -> HttpResponse:
    code, message = _PAGES[status]
    if _is_api(request):
        return JsonResponse(error_body(code, message, request), status=status)
    context = {"status": status, "message": message, "request_id": request_id_of(request)}
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_response(request, 500)
