"""Deny by default: every view declares who may call it.

A function view is wrapped by one of the decorators here (or a later one built on
`declare_permission`), which records its rule in the `ccplatform_permission` attribute; an
API view names its `permission_classes` explicitly. tests/ccplatform/test_url_permissions.py
walks the URL conf and fails for any endpoint that declares nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

PERMISSION_ATTRIBUTE = "ccplatform_permission"
PUBLIC = "public"

View = TypeVar("View", bound=Callable[..., Any])


def declare_permission[View: Callable[..., Any]](view: View, rule: str) -> View:
    """Record `rule` (a short description such as 'public' or 'customers.view') on `view`."""
    setattr(view, PERMISSION_ATTRIBUTE, rule)
    return view


def public_endpoint[View: Callable[..., Any]](view: View) -> View:
    """Mark a view as reachable without signing in. Such a view must show no data."""
    return declare_permission(view, PUBLIC)


def declared_permission(view: Callable[..., Any]) -> str | None:
    """The rule a view declared, or None."""
    rule = getattr(view, PERMISSION_ATTRIBUTE, None)
    return rule if isinstance(rule, str) else None
