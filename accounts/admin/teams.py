"""Teams in the admin: listed, created and renamed through accounts.services.teams; never deleted.

A team groups agents with the customers they serve, so removing one would strand both;
it is renamed instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.admin.base import (
    AuditedModelAdmin,
    add_page,
    allows,
    change_url,
    changelist_url,
    denials_audited,
    object_for_page,
    posted,
    render_page,
    saved,
)
from accounts.models import Team
from accounts.permissions import can_add_teams, can_manage_teams, can_view_teams
from accounts.services.teams import NAME_MAX_LENGTH, team_create, team_rename
from ccplatform.callers import caller_of


class TeamForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH)


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin[Team]):
    list_display = ["name", "member_count", "created_at"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj: Team) -> str:
        return str(getattr(obj, "member_total", 0))

    def has_view_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return allows(request, can_view_teams)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_add_teams)

    def has_change_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return allows(request, can_manage_teams)

    def has_delete_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        def create(data: dict[str, Any]) -> str:
            team = team_create(caller=caller_of(request), name=data["name"])
            messages.success(request, f"Team {team.name} created.")
            return changelist_url(self)

        return add_page(
            self, request, TeamForm, create, title="Add team", submit_label="Create team"
        )

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        with denials_audited(request, self, "change"):
            team, editable = object_for_page(self, request, object_id)
            form = TeamForm(posted(request), initial={"name": team.name}) if editable else None
            redirect = saved(form, lambda data: self._rename(request, team, data))
            if redirect is not None:
                return redirect
            members = getattr(team, "member_total", 0)
            return render_page(
                self,
                request,
                title=f"Team {team.name}",
                context={
                    "original": team,
                    "details": [("Name", team.name), ("Members", str(members))],
                    "form": form,
                    "submit_label": "Rename",
                },
            )

    def _rename(self, request: HttpRequest, team: Team, data: dict[str, Any]) -> str:
        team_rename(caller=caller_of(request), team=team, name=data["name"])
        messages.success(request, f"Team {team.name} saved.")
        return change_url(self, team)
