"""Query strings of the audit API: validated in one pass, every problem named in one 400.

The event filters are the compliance pages' own form (audit.search.EventFilterForm), so a
filter means the same in the browser, the API and the exports. A parameter that no endpoint
knows is refused rather than ignored: a mistyped filter (`actr=...`) would otherwise answer
with the whole log, which reads as a search result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request

from audit.search import EventFilterForm

# DRF reads `format` itself (renderer choice) on every view but the export.
DRF_PARAMETERS = frozenset({"format"})
UNKNOWN_PARAMETER = "Unknown parameter."


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A form's errors in the API's `fields` shape."""
    return {
        ("non_field_errors" if name == "__all__" else name): [str(message) for message in errors]
        for name, errors in form.errors.items()
    }


def validate_query(
    request: Request,
    *,
    form: forms.Form | None = None,
    options: serializers.Serializer[dict[str, Any]] | None = None,
    also_known: Iterable[str] = DRF_PARAMETERS,
) -> None:
    """Validate the query string against `form` and `options`; a 400 naming every problem.

    Both must have been built over `request.query_params`.
    """
    errors: dict[str, list[str]] = {}
    known = set(also_known)
    if form is not None:
        known |= set(form.fields)
        if not form.is_valid():
            errors.update(form_errors(form))
    if options is not None:
        known |= set(options.fields)
        if not options.is_valid():
            errors.update({name: list(map(str, found)) for name, found in options.errors.items()})
    for name in sorted(set(request.query_params) - known):
        errors[name] = [UNKNOWN_PARAMETER]
    if errors:
        raise serializers.ValidationError(errors)


def _schema_type(field: forms.Field) -> OpenApiTypes:
    if isinstance(field, forms.UUIDField):
        return OpenApiTypes.UUID
    if isinstance(field, forms.DateTimeField):
        return OpenApiTypes.DATETIME
    return OpenApiTypes.STR


EXTRA_HELP = {"action": " The declared actions: GET /api/v1/audit/actions/."}


def _parameter(name: str, field: forms.Field) -> OpenApiParameter:
    choices = getattr(field, "choices", None)
    return OpenApiParameter(
        name,
        _schema_type(field),
        description=str(field.help_text or "") + EXTRA_HELP.get(name, ""),
        enum=[value for value, _label in choices if value] if choices else None,
    )


# Read from the form, so the documentation cannot drift from what is accepted.
FILTER_PARAMETERS = [_parameter(name, field) for name, field in EventFilterForm.base_fields.items()]
