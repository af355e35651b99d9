"""Request-wide middleware: request id and audit context, no caching of dynamic pages, and
the error page for the platform's own errors."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from ccplatform.context import RequestInfo, client_ip, new_request_id, request_context
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import PlatformError, error_info, error_response

REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    """Give every request an id (kept from a well-formed X-Request-ID) and an audit context.

    The id is put back into the request headers so django-structlog binds the same id to
    every log line, and it is returned in the response's X-Request-ID header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.META["HTTP_X_REQUEST_ID"] = request_id
        request.__dict__.pop("headers", None)  # rebuilt from META on next access
        request.request_id = request_id  # type: ignore[attr-defined]
        info = RequestInfo(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
        )
        with request_context(info), structlog.contextvars.bound_contextvars(request_id=request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class NoStoreMiddleware:
    """Forbid caching of every dynamic response: they may show personal data.

    Static files are served before this runs (WhiteNoise) and keep their long cache life.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class PlatformErrorMiddleware:
    """A PlatformError (or failed decryption) that a page did not handle becomes the error
    page with its status, message and headers (ccplatform.errors.error_info), as the API
    would answer it, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PlatformError | DecryptionError):
            return None  # Django's own handlers (404, 403, 500) answer the rest
        info = error_info(exception)
        return error_response(request, info) if info is not None else None
