"""Platform pages that belong to no app: the start page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ccplatform.callers import caller_of
from ccplatform.permissions import public_endpoint
from ccplatform.startpage import panels_for


@public_endpoint
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The start page: links to the parts of the platform. Shows no customer data."""
    teams = (
        list(request.user.teams.values_list("name", flat=True))
        if request.user.is_authenticated
        else []
    )
    caller = caller_of(request)
    panels = panels_for(caller) if caller.is_person else []
    return render(request, "home.html", {"teams": teams, "panels": panels})
