"""The audit log in the admin: searchable, and read-only for everyone."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = [
        "occurred_at",
        "action",
        "outcome",
        "actor_kind",
        "actor_id",
        "target_type",
        "target_id",
        "request_id",
    ]
    list_filter = ["outcome", "actor_kind", "action"]
    search_fields = ["=request_id", "=actor_id", "=target_id"]
    show_full_result_count = False  # a COUNT(*) over millions of rows on every page is slow
    list_select_related = False

    def get_readonly_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
