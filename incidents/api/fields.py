"""Input and choice fields the incidents API's serializers share.

Choices are documented as strings whose description lists the values, not as enum
components: drf-spectacular names an enum after its property, and `kind` and `status`
already name other sets elsewhere in the API (see audit.api.serializers), so an enum here
would rename theirs. Input serializers build on customers' `StrictInput` (unknown keys are
refused, by name) and `FlatListField` (item errors stay a list of messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import TextChoices
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import FlatListField


@extend_schema_field(OpenApiTypes.STR)
class ListedChoiceField(serializers.ChoiceField):
    """A choice documented as a string whose description lists the values (no enum name)."""


def listed(choices: type[TextChoices], *, help_text: str = "", **kwargs: Any) -> ListedChoiceField:
    values = [value for value in choices.values if value]
    text = f"One of: {', '.join(values)}." + (f" {help_text}" if help_text else "")
    return ListedChoiceField(choices.choices, help_text=text, **kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """A time with its zone (an offset or Z). DRF would read a naive time in the server's zone;
    a legal clock must not start from a guess (invariant 9), so it is refused."""

    default_error_messages = {"naive": "Give a time with its zone (an offset or Z)."}

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None  # out of range: DRF's own message says so
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result: datetime = super().to_internal_value(value)
        return result


class RowsField(FlatListField):
    """A list of objects whose errors read "Item 2: due_on: ...", so `fields` stays a list of
    messages, as the API's error body promises."""

    def run_child_validation(self, data: Any) -> Any:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, Mapping):
                raise
            flat = {
                index: [
                    f"{name}: {message}"
                    for name, messages in errors.items()
                    for message in messages
                ]
                if isinstance(errors, Mapping)
                else errors
                for index, errors in error.detail.items()
            }
            raise serializers.ValidationError(flat) from None
