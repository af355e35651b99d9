"""Browser forms of the accounts app: shape only; the services enforce the rules."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm

from accounts.services.passwords import password_reset_complete

GENERIC_SIGN_IN_ERROR = (
    "Sign-in failed. Check your details and try again. After repeated failures, sign-in "
    "is paused for 30 minutes."
)


class SignInForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        max_length=20,
        label="Code from your authenticator app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords differ.")
        return data


class ResetPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """Django's reset form, saving through the audited service (which ends all sessions)."""

    def save(self, commit: bool = True) -> object:
        password_reset_complete(user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user
