"""Walk a URL conf and report every endpoint that does not declare who may call it (invariant 7).

Rules, in order:

- views of the Django admin (an included URL conf whose app_name is "admin") are protected by
  the admin site itself;
- a DRF view (its callback has `.cls`) names `permission_classes` in its own class body, in a
  project base class, or in a reviewed third-party view class (THIRD_PARTY_VIEW_MODULES);
  the DRF default inherited from APIView does not count, and an empty list is refused
  (a public endpoint says `AllowAny`);
- any other view is wrapped by a ccplatform.permissions decorator
  (`declared_permission(callback)` is not None).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from ccplatform.permissions import declared_permission

# Test-only URL confs (tests/) follow the same rules as the product's.
PROJECT_PACKAGES = (
    "ccplatform",
    "accounts",
    "customers",
    "audit",
    "retention",
    "incidents",
    "tests",
)
# Third-party view modules whose permission_classes were reviewed, and why they are fine.
THIRD_PARTY_VIEW_MODULES = {
    # Schema and docs: SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"], set in the class body.
    "drf_spectacular.views": "serves the API description, no data",
}


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern with a view, and the included URL confs it sits in."""

    route: str
    callback: Callable[..., Any]
    app_names: tuple[str, ...]
    namespaces: tuple[str, ...]

    @property
    def view_name(self) -> str:
        view = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        target = view or self.callback
        return f"{target.__module__}.{target.__qualname__}"


def iter_endpoints(
    patterns: Sequence[URLPattern | URLResolver] | None = None,
    prefix: str = "",
    app_names: tuple[str, ...] = (),
    namespaces: tuple[str, ...] = (),
) -> Iterator[Endpoint]:
    """Every endpoint of `patterns` (the project's URL conf by default), depth first."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from iter_endpoints(
                entry.url_patterns,
                prefix + str(entry.pattern),
                app_names + ((entry.app_name,) if entry.app_name else ()),
                namespaces + ((entry.namespace,) if entry.namespace else ()),
            )
        elif isinstance(entry, URLPattern):
            yield Endpoint(prefix + str(entry.pattern), entry.callback, app_names, namespaces)
        else:  # pragma: no cover - Django has only these two kinds
            raise TypeError(f"unexpected URL conf entry {entry!r}")


def _declaring_class(view_class: type) -> type | None:
    """The first class in the MRO whose own body sets permission_classes."""
    for klass in view_class.__mro__:
        if "permission_classes" in vars(klass):
            return klass
    return None


def _owned_by(klass: type) -> bool:
    return klass.__module__.split(".")[0] in PROJECT_PACKAGES


def permission_problem(endpoint: Endpoint) -> str | None:
    """Why `endpoint` counts as undeclared, or None when it declares its permission."""
    if "admin" in endpoint.app_names:
        return None
    view_class: type | None = getattr(endpoint.callback, "cls", None)
    if view_class is None:
        if declared_permission(endpoint.callback) is None:
            return "view has no ccplatform.permissions decorator"
        return None

    initkwargs: dict[str, Any] = getattr(endpoint.callback, "initkwargs", {}) or {}
    if "permission_classes" in initkwargs:
        classes = initkwargs["permission_classes"]
    else:
        declaring = _declaring_class(view_class)
        if declaring is None or declaring.__module__.startswith("rest_framework."):
            return "permission_classes is inherited from the DRF default"
        if not (_owned_by(declaring) or declaring.__module__ in THIRD_PARTY_VIEW_MODULES):
            return (
                f"permission_classes comes from {declaring.__module__}.{declaring.__qualname__},"
                " a third-party class not reviewed in THIRD_PARTY_VIEW_MODULES"
            )
        classes = vars(declaring)["permission_classes"]
    if not classes:
        return "permission_classes is empty (a public endpoint names AllowAny)"
    return None


def undeclared_endpoints(patterns: Sequence[URLPattern | URLResolver] | None = None) -> list[str]:
    """'route -> view: problem' for every endpoint that declares no permission."""
    return [
        f"{endpoint.route} -> {endpoint.view_name}: {problem}"
        for endpoint in iter_endpoints(patterns)
        if (problem := permission_problem(endpoint))
    ]
