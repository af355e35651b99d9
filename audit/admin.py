"""The audit tables in the admin: events, checkpoints and verification runs read-only for
everyone who may read the log; alerts read-only too, with two actions that go through
audit.services.alerts (so they are audited like the same buttons on the alert queue page).
Who may see and do what is asked of audit.permissions, as on the pages and the API.

Closing needs a note, so "close" first shows a small page asking for it (as Django's own
"delete selected" asks for confirmation); the alert queue page offers the same per alert.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from audit.models import Alert, AuditArchive, AuditEvent, Checkpoint, VerificationRun
from audit.permissions import can_handle_alerts, can_read_alerts, can_read_events
from audit.services.alerts import CLOSE_NOTE_MAX, alert_acknowledge, alert_close
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Every field shown, nothing added, changed or deleted (the tables are append-only,
    alerts change only through their services). Viewing needs `can_read_events`."""

    def has_view_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return bool(can_read_events(caller_of(request)))

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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin[AuditEvent]):
    list_display = [
        "occurred_at",
        "action",
        "outcome",
        "actor_kind",
        "actor_id",
        "target_type",
        "target_id",
        "request_id",
        "chain",
        "seq",
    ]
    list_filter = ["outcome", "actor_kind", "action"]
    search_fields = ["=request_id", "=actor_id", "=target_id"]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is slow
    list_select_related = False


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin[Checkpoint]):
    list_display = ["chain", "seq", "created_at", "event_id", "key_version"]
    list_filter = ["chain", "key_version"]


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin[AuditArchive]):
    list_display = ["created_at", "before", "event_count", "file_name", "dropped_at"]


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin[VerificationRun]):
    list_display = [
        "started_at",
        "kind",
        "trigger",
        "ok",
        "events_checked",
        "chains_checked",
        "checkpoints_made",
    ]
    list_filter = ["ok", "kind", "trigger"]


class CloseNoteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=CLOSE_NOTE_MAX,
        help_text="What was found or done. Required; it is kept with each alert.",
    )


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin[Alert]):
    list_display = ["raised_at", "severity", "rule", "status", "subject", "event_count"]
    list_filter = ["status", "severity", "rule"]
    search_fields = ["=subject"]
    actions = ["acknowledge_alerts", "close_alerts"]

    def has_view_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return bool(can_read_alerts(caller_of(request)))

    def has_handle_permission(self, request: HttpRequest) -> bool:
        """Acting on alerts (the form itself stays read-only)."""
        return bool(can_handle_alerts(caller_of(request)))

    def _refused(self, request: HttpRequest, alert: Alert, refusal: ServiceError) -> None:
        self.message_user(request, f"{alert}: {refusal.message}", messages.WARNING)

    @admin.action(description="Acknowledge selected alerts", permissions=["handle"])
    def acknowledge_alerts(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        done = 0
        for alert in queryset:
            try:
                alert_acknowledge(alert, caller=caller_of(request))
            except ServiceError as refusal:
                self._refused(request, alert, refusal)
            else:
                done += 1
        self.message_user(request, f"{done} alert(s) acknowledged.")

    @admin.action(description="Close selected alerts (asks for a note)", permissions=["handle"])
    def close_alerts(
        self, request: HttpRequest, queryset: QuerySet[Alert]
    ) -> TemplateResponse | None:
        form = CloseNoteForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            done = 0
            for alert in queryset:
                try:
                    alert_close(alert, caller=caller_of(request), note=form.cleaned_data["note"])
                except ServiceError as refusal:
                    self._refused(request, alert, refusal)
                else:
                    done += 1
            self.message_user(request, f"{done} alert(s) closed.")
            return None  # back to the list
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Close alerts",
            "alerts": list(queryset),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "audit/admin/close_alerts.html", context)
