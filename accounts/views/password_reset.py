"""Password reset by email link. It leads back to sign-in with both factors, never past it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy

from accounts.forms import ResetPasswordForm
from accounts.models import User
from accounts.services.passwords import password_reset_request
from ccplatform.permissions import public_endpoint


class RequestReset(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        # Service accounts have no password to reset; the page says the same either way.
        people = User.objects.filter(email__iexact=email, is_active=True).exclude(role="integrator")
        for user in people:
            password_reset_request(user=user)
        return super().form_valid(form)


class ConfirmReset(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetPasswordForm
    post_reset_login = False  # sign in again, with the second factor
    success_url = reverse_lazy("accounts:password_reset_complete")


request_reset = public_endpoint(RequestReset.as_view())
reset_sent = public_endpoint(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html")
)
confirm_reset = public_endpoint(ConfirmReset.as_view())
reset_complete = public_endpoint(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)
