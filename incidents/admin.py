"""The breach register in the admin: incidents, their notices and timelines read-only (the
workflow runs on the incident pages, through the services); clients editable by incident
handlers, saved through incidents.services.clients (audited, notices derived again)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from ccplatform.callers import caller_of
from incidents.models import Client, Incident, Obligation, TimelineEntry
from incidents.permissions import can_handle_incidents, can_manage_clients
from incidents.services.clients import client_save


class HandlerReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Shown to incident handlers; nothing added, changed or deleted here."""

    def has_view_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return bool(can_handle_incidents(caller_of(request)))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: M | None = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(HandlerReadOnlyAdmin[Incident]):
    list_display = ["reference", "title", "status", "severity", "risk", "is_exercise", "page"]
    list_filter = ["status", "severity", "is_exercise"]
    search_fields = ["reference", "title"]

    @admin.display(description="Incident page")
    def page(self, incident: Incident) -> str:
        url = reverse("incidents:incident", kwargs={"incident_id": incident.pk})
        return format_html('<a href="{}">open</a>', url)


@admin.register(Obligation)
class ObligationAdmin(HandlerReadOnlyAdmin[Obligation]):
    list_display = ["incident", "regime", "recipient", "place", "deadline", "status", "applies"]
    list_filter = ["status", "regime", "applies"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(HandlerReadOnlyAdmin[TimelineEntry]):
    list_display = ["at", "incident", "kind", "actor", "text"]
    list_filter = ["kind"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin[Client]):
    list_display = ["name", "contact", "notify_within_hours"]
    fields = ["name", "contact", "notify_within_hours", "teams"]
    filter_horizontal = ["teams"]

    def _may(self, request: HttpRequest) -> bool:
        return bool(can_manage_clients(caller_of(request)))

    def has_view_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return self._may(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_change_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return self._may(request)

    def has_delete_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False  # past notices name it

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        """Saved in save_related, with its teams, through the service."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data = form.cleaned_data
        client_save(
            caller=caller_of(request),
            client=form.instance,
            name=data["name"],
            contact=data["contact"],
            notify_within_hours=data["notify_within_hours"],
            teams=data["teams"],
        )
