"""People and service accounts in the admin: create, change role and teams, and the actions.

No account is ever deleted (the audit log names them); disabling is the way out. Every
change goes through accounts.services, so it is checked and audited there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.admin.base import (
    AdminAction,
    AuditedModelAdmin,
    add_page,
    allows,
    change_url,
    denials_audited,
    object_for_page,
    posted,
    reason_action,
    render_page,
    saved,
)
from accounts.models import (
    AuthenticatorDevice,
    RecoveryCode,
    Role,
    ServiceAPIKey,
    Team,
    User,
    UserSession,
)
from accounts.models.users import HUMAN_ROLES
from accounts.permissions import (
    can_add_users,
    can_disable_users,
    can_manage_users,
    can_reset_mfa,
    can_unlock_users,
    can_view_users,
)
from accounts.services.mfa import mfa_reset
from accounts.services.users import (
    user_create,
    user_disable,
    user_enable,
    user_set_role,
    user_set_teams,
    user_unlock,
)
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError

USER_CHANGE_TEMPLATE = "admin/accounts/user_change.html"


def _teams_field() -> forms.ModelMultipleChoiceField[Team]:
    return forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


def _password_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class UserAddForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(
        required=False, help_text="Required for people: security notices are sent to it."
    )
    role = forms.ChoiceField(choices=Role.choices)
    teams = _teams_field()
    password = _password_field("Password")
    password_again = _password_field("Password again")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = (
            "15 to 128 characters. Leave both empty for a service account (role integrator): "
            "it has no password and acts only through API keys."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, again = data.get("password", ""), data.get("password_again", "")
        if data.get("role") == Role.INTEGRATOR:
            if password or again:
                self.add_error(
                    "password", "Service accounts have no password: they act only through API keys."
                )
            return data
        if not data.get("email") and "email" not in self.errors:
            self.add_error("email", "A person needs an email address for security notices.")
        if not password:
            self.add_error("password", "A person needs a password.")
        elif password != again:
            self.add_error("password_again", "The two passwords differ.")
        return data


class UserChangeForm(forms.Form):
    role = forms.ChoiceField()
    teams = _teams_field()
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=(
            "Required when the role changes (it ends the account's sessions and API keys). "
            "Recorded in the audit log with your name."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"role": user.role, "teams": list(user.teams.values_list("pk", flat=True))}
        )
        super().__init__(*args, **kwargs)
        self.user = user
        # A person never becomes a service account, nor the other way round.
        allowed = {Role.INTEGRATOR} if user.is_service_account else HUMAN_ROLES
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role.value, role.label) for role in Role if role in allowed]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role and role != self.user.role and not data.get("reason", "").strip():
            self.add_error(
                "reason", "Give a reason for the role change: it is recorded in the audit log."
            )
        return data


def _when(value: datetime | None, empty: str = "Never") -> str:
    if value is None:
        return empty
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def account_details(user: User) -> list[tuple[str, str]]:
    """What a security admin sees about an account: status and factors, no secrets."""
    now = timezone.now()
    totp = AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists()
    recovery_codes = RecoveryCode.objects.filter(device__user=user).count()
    sessions = UserSession.objects.filter(user=user, expire_date__gt=now).count()
    rows = [
        ("Username", user.username),
        ("Email", user.email or "-"),
        ("Role", Role(user.role).label),
        ("Teams", ", ".join(team.name for team in user.teams.all()) or "-"),
        ("Active", _yes_no(user.is_active)),
        ("Uses the admin site", _yes_no(user.is_staff)),
        ("Locked until", _when(user.locked_until) if user.is_locked(now) else "Not locked"),
        ("Failed sign-in steps in a row", str(user.failed_sign_in_count)),
        ("Last sign-in", _when(user.last_login)),
        ("Active since", _when(user.active_since)),
        ("Joined", _when(user.date_joined)),
        ("Open sessions", str(sessions)),
    ]
    if user.is_service_account:
        keys = ServiceAPIKey.objects.filter(user=user, revoked=False).count()
        rows += [("Password", "None (API keys only)"), ("Unrevoked API keys", str(keys))]
    else:
        rows += [
            ("Password changed", _when(user.password_changed_at)),
            ("Authenticator app", "Set up" if totp else "Not set up: enrols at next sign-in"),
            ("Recovery codes left", str(recovery_codes)),
        ]
    return rows


# Actions offered as buttons on an account's page; they post to the change list.
ACCOUNT_ACTIONS = {
    "disable_users": "Disable…",
    "enable_users": "Enable…",
    "unlock_users": "Unlock…",
    "reset_second_factor": "Reset second factor…",
}


def _actions_that_apply(user: User) -> set[str]:
    """The account actions that would change something for `user` now."""
    names = {"reset_second_factor", "disable_users" if user.is_active else "enable_users"}
    if user.is_locked():
        names.add("unlock_users")
    return names


@admin.register(User)
class UserAdmin(AuditedModelAdmin[User]):
    list_display = ["username", "role", "team_names", "is_active", "locked_until", "last_login"]
    list_filter = ["role", "is_active", "teams"]
    search_fields = ["username", "email"]
    ordering = ["username"]
    actions = list(ACCOUNT_ACTIONS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("teams")

    @admin.display(description="teams")
    def team_names(self, obj: User) -> str:
        return ", ".join(team.name for team in obj.teams.all()) or "-"

    # --- Who may do what (accounts.permissions) --------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return allows(request, can_view_users)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_add_users)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return allows(request, can_manage_users)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False  # the audit log refers to every account that ever acted

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_disable_users)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_unlock_users)

    def has_reset_mfa_permission(self, request: HttpRequest) -> bool:
        return allows(request, can_reset_mfa)

    # --- Pages -------------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        def create(data: dict[str, Any]) -> str:
            user = user_create(
                caller=caller_of(request),
                username=data["username"],
                email=data["email"],
                role=data["role"],
                teams=data["teams"],
                password=data["password"] or None,
            )
            messages.success(request, f"Account {user.username} created.")
            return change_url(self, user)

        return add_page(
            self, request, UserAddForm, create, title="Add account", submit_label="Create account"
        )

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        with denials_audited(request, self, "change"):
            user, editable = object_for_page(self, request, object_id)
            form = UserChangeForm(posted(request), user=user) if editable else None
            redirect = saved(form, lambda data: self._save_changes(request, user, data))
            if redirect is not None:
                return redirect
            offered = self.get_actions(request).keys() & _actions_that_apply(user)
            return render_page(
                self,
                request,
                title=f"Account {user.username}",
                template=USER_CHANGE_TEMPLATE,
                context={
                    "original": user,
                    "details": account_details(user),
                    "form": form,
                    "submit_label": "Save role and teams",
                    "account_actions": [
                        (name, label) for name, label in ACCOUNT_ACTIONS.items() if name in offered
                    ],
                },
            )

    def _save_changes(self, request: HttpRequest, user: User, data: dict[str, Any]) -> str:
        """Role and teams together or not at all."""
        caller, reason = caller_of(request), data["reason"]
        before = (user.role, set(user.teams.values_list("pk", flat=True)))
        try:
            with transaction.atomic():
                if data["role"] != user.role:
                    user_set_role(caller=caller, user=user, role=data["role"], reason=reason)
                user_set_teams(caller=caller, user=user, teams=data["teams"], reason=reason)
        except ServiceError:
            user.refresh_from_db()  # the rolled-back role may still be on the object
            raise
        changed = before != (user.role, set(user.teams.values_list("pk", flat=True)))
        messages.success(request, "Changes saved." if changed else "Nothing changed.")
        return change_url(self, user)

    # --- Actions (each asks for a reason first) --------------------------------------------

    disable_users: AdminAction[User] = reason_action(
        "disable_users",
        permission="disable",
        description="Disable selected accounts",
        title="Disable accounts",
        question="These accounts can no longer sign in; their sessions and API keys end now.",
        submit_label="Disable",
        apply=lambda caller, user, reason: user_disable(caller=caller, user=user, reason=reason),
        done="Disabled {count} account(s).",
    )
    enable_users: AdminAction[User] = reason_action(
        "enable_users",
        permission="disable",
        description="Enable selected accounts",
        title="Enable accounts",
        question="These accounts will be able to sign in again.",
        submit_label="Enable",
        apply=lambda caller, user, reason: user_enable(caller=caller, user=user, reason=reason),
        done="Enabled {count} account(s).",
    )
    unlock_users: AdminAction[User] = reason_action(
        "unlock_users",
        permission="unlock",
        description="Unlock selected accounts",
        title="Unlock accounts",
        question="The lockout after repeated failed sign-ins ends now for these accounts.",
        submit_label="Unlock",
        apply=lambda caller, user, reason: user_unlock(caller=caller, user=user, reason=reason),
        done="Unlocked {count} account(s).",
    )
    reset_second_factor: AdminAction[User] = reason_action(
        "reset_second_factor",
        permission="reset_mfa",
        description="Reset second factor of selected accounts",
        title="Reset second factor",
        question=(
            "The authenticator app and recovery codes of these accounts are removed and "
            "their sessions end; they set up a new authenticator at their next sign-in. "
            "Confirm who asked, and how you checked it was them."
        ),
        submit_label="Reset second factor",
        apply=lambda caller, user, reason: mfa_reset(caller=caller, user=user, reason=reason),
        done="Reset the second factor of {count} account(s).",
    )
