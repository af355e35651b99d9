"""Platform pages that belong to no app: the start page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ccplatform.permissions import public_endpoint


@public_endpoint
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page: links to the parts of the platform. Shows no customer data."""
    teams = (
        list(request.user.teams.values_list("name", flat=True))
        if request.user.is_authenticated
        else []
    )
    return render(request, "home.html", {"teams": teams})
