"""Integrator API keys in the admin: created for service accounts, shown once, revoked.

A key is never edited or deleted here: its name, scopes and expiry are fixed when it is
made (a different key is a new key), and a revoked key stays listed as evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.admin.base import (
    AdminAction,
    AuditedModelAdmin,
    add_page,
    allows,
    changelist_url,
    reason_action,
)
from accounts.models import Role, ServiceAPIKey, User
from accounts.permissions import can_manage_api_keys, can_view_api_keys
from accounts.services.api_keys import api_key_create, api_key_revoke
from ccplatform.callers import caller_of
from ccplatform.scopes import SCOPE_CHOICES


class ServiceAccountChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.username


class ApiKeyCreateForm(forms.Form):
    user = ServiceAccountChoiceField(
        queryset=User.objects.filter(is_active=True, role=Role.INTEGRATOR).order_by("username"),
        label="Service account",
        help_text="Only active service accounts (role integrator) hold API keys.",
    )
    name = forms.CharField(max_length=50, help_text="What the key is for, e.g. 'CRM sync'.")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Give only what the integration needs.",
    )
    expires_at = forms.DateTimeField(
        label="Expires at (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for a key that does not expire.",
    )

    def clean_expires_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return value


@admin.register(ServiceAPIKey)
class ServiceAPIKeyAdmin(AuditedModelAdmin[ServiceAPIKey]):
    # What a reader sees of a key, listed and on its own page. The hash is left out: it is a
    # credential check value, of no use to a reader.
    readonly_fields = (
        "prefix",
        "name",
        "user",
        "scope_list",
        "created",
        "expiry_date",
        "revoked",
        "last_used_at",
    )
    list_display = readonly_fields
    list_filter = ["revoked"]
    search_fields = ["=prefix", "name", "user__username"]
    list_select_related = ["user"]
    ordering = ["-created"]
    fields = readonly_fields
    actions = ["revoke_keys"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ServiceAPIKey) -> str:
        return ", ".join(obj.scopes) or "-"

    def has_view_permission(self, request: HttpRequest, obj: ServiceAPIKey | None = None) -> bool:
        return allows(request, can_view_api_keys)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_manage_api_keys)

    def has_change_permission(self, request: HttpRequest, obj: ServiceAPIKey | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ServiceAPIKey | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_manage_api_keys)

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        def create(data: dict[str, Any]) -> str:
            key, plaintext = api_key_create(
                caller=caller_of(request),
                user=data["user"],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=data["expires_at"],
            )
            messages.warning(
                request,
                f"API key {key.name!r} for {key.user.username}: {plaintext} - copy it "
                "now, it is not shown again (only its hash is stored).",
            )
            return changelist_url(self)

        return add_page(
            self,
            request,
            ApiKeyCreateForm,
            create,
            title="Add integrator API key",
            submit_label="Create key",
        )

    revoke_keys: AdminAction[ServiceAPIKey] = reason_action(
        "revoke_keys",
        permission="revoke",
        description="Revoke selected keys",
        title="Revoke API keys",
        question="These keys stop working at once, for good.",
        submit_label="Revoke",
        apply=lambda caller, key, reason: api_key_revoke(caller=caller, key=key, reason=reason),
        done="Revoked {count} key(s).",
    )
