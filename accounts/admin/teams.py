"""Teams in the admin: listed, created and renamed through accounts.services.teams; never deleted.

A team groups agents with the customers they serve, so removing one would strand both;
it is renamed instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.admin.base import (
    AuditedModelAdmin,
    add_service_error,
    admin_actor,
    change_url,
    changelist_url,
    denials_audited,
    render_page,
)
from accounts.models import Team
from accounts.permissions import is_person
from accounts.services.teams import NAME_MAX_LENGTH, team_create, team_rename
from ccplatform.errors import ServiceError


class TeamForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH)


def _may(request: HttpRequest, permission: str) -> bool:
    return is_person(request.user) and request.user.has_perm(permission)


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
        return _may(request, "accounts.view_team") or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may(request, "accounts.add_team")

    def has_change_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return _may(request, "accounts.change_team")

    def has_delete_permission(self, request: HttpRequest, obj: Team | None = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with denials_audited(request, self, "add"):
            if not self.has_add_permission(request):
                raise PermissionDenied
            form = TeamForm(request.POST if request.method == "POST" else None)
            if form.is_bound and form.is_valid():
                try:
                    team = team_create(actor=admin_actor(request), name=form.cleaned_data["name"])
                except ServiceError as error:
                    add_service_error(form, error)
                else:
                    messages.success(request, f"Team {team.name} created.")
                    return HttpResponseRedirect(changelist_url(self))
            return render_page(
                self,
                request,
                title="Add team",
                context={"form": form, "submit_label": "Create team"},
            )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with denials_audited(request, self, "change"):
            team = self.get_object(request, unquote(object_id))
            if not self.has_view_or_change_permission(request, team):
                raise PermissionDenied
            if team is None:
                raise Http404
            editable = self.has_change_permission(request, team)
            if request.method == "POST" and not editable:
                raise PermissionDenied
            form = None
            if editable:
                data = request.POST if request.method == "POST" else None
                form = TeamForm(data, initial={"name": team.name})
            if form is not None and form.is_bound and form.is_valid():
                try:
                    team_rename(
                        actor=admin_actor(request), team=team, name=form.cleaned_data["name"]
                    )
                except ServiceError as error:
                    add_service_error(form, error)
                else:
                    messages.success(request, f"Team {team.name} saved.")
                    return HttpResponseRedirect(change_url(self, team))
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
