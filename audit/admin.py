"""The audit tables in the admin: events, checkpoints and verification runs read-only for
everyone; alerts read-only too, with two actions that go through audit.alerting (so they
are audited like the same buttons on the alert queue page).

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

from audit.access import actor_of
from audit.alerting import CLOSE_NOTE_MAX, acknowledge, close
from audit.models import Alert, AuditArchive, AuditEvent, Checkpoint, VerificationRun
from ccplatform.errors import ServiceError


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Every field shown, nothing added, changed or deleted (the tables are append-only,
    alerts change only through their services)."""

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


class ChainProofAdmin[M: Model](ReadOnlyAdmin[M]):
    """Checkpoints and verification runs are the log's proof of integrity: whoever may read
    the log (audit.view_auditevent) may read them, as on the chain status page."""

    def has_view_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return request.user.has_perm("audit.view_auditevent")


@admin.register(Checkpoint)
class CheckpointAdmin(ChainProofAdmin[Checkpoint]):
    list_display = ["chain", "seq", "created_at", "event_id", "key_version"]
    list_filter = ["chain", "key_version"]


@admin.register(AuditArchive)
class AuditArchiveAdmin(ChainProofAdmin[AuditArchive]):
    list_display = ["created_at", "before", "event_count", "file_name", "dropped_at"]


@admin.register(VerificationRun)
class VerificationRunAdmin(ChainProofAdmin[VerificationRun]):
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

    def has_handle_permission(self, request: HttpRequest) -> bool:
        """Acting on alerts needs audit.change_alert (the form itself stays read-only)."""
        return request.user.has_perm("audit.change_alert")

    def _refused(self, request: HttpRequest, alert: Alert, refusal: ServiceError) -> None:
        self.message_user(request, f"{alert}: {refusal.message}", messages.WARNING)

    @admin.action(description="Acknowledge selected alerts", permissions=["handle"])
    def acknowledge_alerts(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        done = 0
        for alert in queryset:
            try:
                acknowledge(alert, actor=actor_of(request))
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
                    close(alert, actor=actor_of(request), note=form.cleaned_data["note"])
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
