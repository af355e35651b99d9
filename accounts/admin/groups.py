"""Roles in the admin: their groups and permissions are defined in accounts/roles.py.

`sync_roles` resets every group on migrate, so an edit here would be silently undone and
would bypass review of who may do what. The admin therefore only shows them.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.admin.base import AuditedModelAdmin, allows
from accounts.permissions import can_view_roles


class RoleGroupAdmin(AuditedModelAdmin[Group]):
    list_display = ["name", "member_count", "permission_count"]
    search_fields = ["name"]
    ordering = ["name"]
    readonly_fields = ("name", "permission_list", "member_count")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=Count("user", distinct=True),
                permission_total=Count("permissions", distinct=True),
            )
        )

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj: Group) -> str:
        return str(getattr(obj, "member_total", 0))

    @admin.display(description="permissions", ordering="permission_total")
    def permission_count(self, obj: Group) -> str:
        return str(getattr(obj, "permission_total", 0))

    @admin.display(description="permissions")
    def permission_list(self, obj: Group) -> str:
        names = obj.permissions.values_list("content_type__app_label", "codename")
        return ", ".join(sorted(f"{app}.{codename}" for app, codename in names)) or "-"

    def has_view_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return allows(request, can_view_roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False
