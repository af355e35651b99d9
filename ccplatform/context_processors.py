"""Template context for every page: what the page's caller may do (`can`)."""

from __future__ import annotations

from django.http import HttpRequest

from ccplatform.callers import caller_of
from ccplatform.permissions import Abilities


def abilities(request: HttpRequest) -> dict[str, object]:
    """`{% if can.customers.reveal %}`: the same predicates the views and services ask."""
    return {"can": Abilities(caller_of(request))}
