"""The project's URL conf plus a few endpoints that exist only to exercise the API defaults.

Use with `@pytest.mark.urls("tests.ccplatform.urls_for_tests")`. Every view here declares its
permission like a product view must (the URL conf walker checks this module too).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.errors import PlatformError, RateLimitError, ServiceError
from ccplatform.permissions import public_endpoint
from ccplatform.urls import handler400, handler403, handler404, handler500
from ccplatform.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

FORBIDDEN_NAME = "breaks-the-rule"
EXPLOSION_TEXT = "internal detail (card 4111 1111 1111 1111) that must not reach the caller"
ROW_COUNT = 250


class EchoApi(APIView):
    """Validates a small JSON document and echoes it; one name breaks a business rule."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer[dict[str, Any]]):
        name = serializers.CharField(max_length=20)
        count = serializers.IntegerField(min_value=1)

    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["name"] == FORBIDDEN_NAME:
            raise ServiceError(
                "This name is reserved.", fields={"name": ["This name is reserved."]}
            )
        return Response(data.validated_data, status=status.HTTP_201_CREATED)


class ExplodingApi(APIView):
    """Fails the way a bug does: an exception nobody planned for."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError(EXPLOSION_TEXT)


class HiddenApi(APIView):
    """Answers like a selector that finds nothing the caller may see."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise Http404("customer 42 belongs to another team")


class NumberSerializer(serializers.Serializer[dict[str, int]]):
    value = serializers.IntegerField()


class NumbersApi(generics.ListAPIView[Any]):
    """A list endpoint on the default pagination class."""

    permission_classes = [AllowAny]
    serializer_class = NumberSerializer

    def get_queryset(self) -> Any:
        return [{"value": number} for number in range(1, ROW_COUNT + 1)]


_NONCE_PAGE = engines["django"].from_string(
    '<!doctype html><title>nonce</title><script nonce="{{ csp_nonce }}">void 0;</script>'
)


@public_endpoint
@require_GET
def nonce_page(request: HttpRequest) -> HttpResponse:
    """An HTML page with an inline script, allowed by the request's CSP nonce."""
    return HttpResponse(_NONCE_PAGE.render(request=request))


@public_endpoint
@require_GET
def exploding_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(EXPLOSION_TEXT)


def _platform_error(kind: str) -> PlatformError:
    """The same error for the page and the API endpoint of the pair below."""
    if kind == "limit":
        return RateLimitError(LIMIT_MESSAGE, retry_after=7)
    return ServiceError(RULE_MESSAGE, fields={"name": ["Not this one."]})


LIMIT_MESSAGE = "Slow down: too many of these."
RULE_MESSAGE = "That breaks a rule."


class PlatformErrorApi(APIView):
    """Raises one of the platform's own errors (`kind`), as a service would."""

    permission_classes = [AllowAny]

    def get(self, request: Request, kind: str) -> Response:
        raise _platform_error(kind)


@public_endpoint
@require_GET
def platform_error_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The page twin of PlatformErrorApi: a view that does not catch what a service raised."""
    raise _platform_error(kind)


urlpatterns = [
    *project_urlpatterns,
    path("api/v1/test/echo/", EchoApi.as_view(), name="test-echo"),
    path("api/v1/test/explode/", ExplodingApi.as_view(), name="test-api-explode"),
    path("api/v1/test/hidden/", HiddenApi.as_view(), name="test-hidden"),
    path("api/v1/test/numbers/", NumbersApi.as_view(), name="test-numbers"),
    path("test/nonce/", nonce_page, name="test-nonce"),
    path("test/explode/", exploding_page, name="test-explode"),
    path("api/v1/test/error/<str:kind>/", PlatformErrorApi.as_view(), name="test-api-error"),
    path("test/error/<str:kind>/", platform_error_page, name="test-error"),
]
