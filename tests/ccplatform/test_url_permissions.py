"""Invariant 7: every endpoint names its permission; a new one that does not fails here."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ccplatform.gate import GatePermission
from ccplatform.permissions import (
    PUBLIC,
    declare_permission,
    declared_permission,
    declared_rules,
    public_endpoint,
    rule_name,
)
from tests.ccplatform.url_walk import Endpoint, iter_endpoints, undeclared_endpoints


def test_every_endpoint_of_the_project_declares_its_permission() -> None:
    problems = undeclared_endpoints()
    assert problems == [], "endpoints without a declared permission:\n" + "\n".join(problems)


def test_the_walk_reaches_every_part_of_the_url_conf() -> None:
    routes = {endpoint.route for endpoint in iter_endpoints()}
    assert {"", "healthz", "readyz", "api/v1/status/", "api/schema/", "api/docs/"} <= routes
    admin_routes = [
        endpoint.route for endpoint in iter_endpoints() if "admin" in endpoint.app_names
    ]
    assert "admin/" in admin_routes
    assert any(route.startswith("admin/accounts/user/") for route in admin_routes)


def test_the_test_only_url_conf_follows_the_same_rules() -> None:
    patterns = get_resolver("tests.ccplatform.urls_for_tests").url_patterns
    assert undeclared_endpoints(patterns) == []


def test_schema_and_docs_views_declare_their_own_permission_classes() -> None:
    assert "permission_classes" in vars(SpectacularAPIView)
    declaring = next(
        klass
        for klass in SpectacularSwaggerSplitView.__mro__
        if "permission_classes" in vars(klass)
    )
    assert declaring.__module__ == "drf_spectacular.views"
    # Public on purpose: they describe the API and show no data.
    assert SpectacularAPIView.permission_classes == [AllowAny]


# --- The walker catches what it must -------------------------------------------------------


def undeclared_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("anyone")


@public_endpoint
def public_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("anyone, on purpose")


def ruled_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("customers only")


declare_permission(ruled_view, "customers.view")


class DefaultPermissionApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({})


class ExplicitPermissionApi(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({})


class ProjectBaseApi(APIView):
    permission_classes = [IsAuthenticated]


class InheritsFromProjectBaseApi(ProjectBaseApi):
    def get(self, request: Request) -> Response:
        return Response({})


class EmptyPermissionApi(APIView):
    permission_classes = []

    def get(self, request: Request) -> Response:
        return Response({})


# A view from a package nobody reviewed, declaring its own (open) permission.
VendorApi = cast(
    type[APIView],
    type("VendorApi", (APIView,), {"__module__": "vendor.views", "permission_classes": [AllowAny]}),
)


def _walk(patterns: list[URLPattern | URLResolver]) -> dict[str, str]:
    problems = undeclared_endpoints(patterns)
    return dict(problem.split(" -> ", 1) for problem in problems)


def test_walker_reports_a_function_view_without_a_permission() -> None:
    problems = _walk(
        [
            path("open/", undeclared_view),
            path("public/", public_view),
            path("ruled/", ruled_view),
        ]
    )
    assert problems == {
        "open/": f"{__name__}.undeclared_view: view has no ccplatform.permissions decorator"
    }


def test_walker_reports_undeclared_views_deep_inside_includes() -> None:
    inner = [path("leaf/", undeclared_view)]
    problems = _walk([path("outer/", include([path("middle/", include(inner))]))])
    assert list(problems) == ["outer/middle/leaf/"]


def test_walker_reports_drf_views_relying_on_the_default_permission() -> None:
    problems = _walk(
        [
            path("default/", DefaultPermissionApi.as_view()),
            path("explicit/", ExplicitPermissionApi.as_view()),
            path("inherited/", InheritsFromProjectBaseApi.as_view()),
            path("kwargs/", DefaultPermissionApi.as_view(permission_classes=[IsAuthenticated])),
            path("empty/", EmptyPermissionApi.as_view()),
            path("vendor/", VendorApi.as_view()),
        ]
    )
    assert set(problems) == {"default/", "empty/", "vendor/"}
    assert "DRF default" in problems["default/"]
    assert "empty" in problems["empty/"]
    assert "vendor.views.VendorApi" in problems["vendor/"]


def test_walker_trusts_only_the_admin_sites_own_include() -> None:
    views = [path("page/", undeclared_view)]
    problems = _walk(
        [
            path("admin/", include((views, "admin"), namespace="admin")),
            path("other/", include((views, "other"), namespace="other")),
        ]
    )
    assert list(problems) == ["other/page/"]


# --- One gate: every product endpoint asks a named rule of the gate -------------------------


def _gate_rule_of(endpoint: Endpoint) -> str | None:
    """The rule name an endpoint asks (a gate page or gate API class), PUBLIC, or None."""
    view_class = getattr(endpoint.callback, "cls", None)
    if view_class is None:
        return declared_permission(endpoint.callback)
    classes = view_class.permission_classes
    if classes and all(klass is AllowAny for klass in classes):
        return PUBLIC
    if classes and all(issubclass(klass, GatePermission) for klass in classes):
        return ",".join(rule_name(klass.predicate) for klass in classes)
    return None


def test_every_product_endpoint_asks_a_declared_rule_of_the_gate_or_is_public() -> None:
    rules = declared_rules()
    problems = []
    for endpoint in iter_endpoints():
        if "admin" in endpoint.app_names:
            continue  # the admin site asks accounts.use_admin (tests/ccplatform/test_gate_walk.py)
        asked = _gate_rule_of(endpoint)
        if asked == PUBLIC:
            continue
        if asked is None or not set(asked.split(",")) <= set(rules):
            problems.append(f"{endpoint.route} -> {endpoint.view_name}: {asked}")
    assert problems == []


def test_public_endpoints_are_only_the_sign_in_steps_health_and_the_api_description() -> None:
    public = sorted(
        endpoint.route
        for endpoint in iter_endpoints()
        if "admin" not in endpoint.app_names and _gate_rule_of(endpoint) == PUBLIC
    )
    assert public == sorted(
        [
            "",
            "healthz",
            "readyz",
            "accounts/login/",
            "accounts/verify/",
            "accounts/enrol/",
            "accounts/logout/",
            "accounts/password-reset/",
            "accounts/password-reset/sent/",
            "accounts/password-reset/<uidb64>/<token>/",
            "accounts/password-reset/done/",
            "api/schema/",
            "api/docs/",
        ]
    )


def test_a_drf_class_of_its_own_or_a_bare_declaration_is_not_the_gate() -> None:
    own = Endpoint("x/", ExplicitPermissionApi.as_view(), (), ())
    declared = Endpoint("y/", ruled_view, (), ())  # declares "customers.view" by hand
    assert _gate_rule_of(own) is None
    assert _gate_rule_of(declared) == "customers.view"  # a name: the rule test checks it

    def made_up(request: HttpRequest) -> HttpResponse:
        return HttpResponse("")

    undeclared_name = Endpoint("z/", declare_permission(made_up, "made.up"), (), ())
    assert _gate_rule_of(undeclared_name) not in declared_rules()
