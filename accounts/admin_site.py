"""The admin site: only for staff who signed in with both factors, through our sign-in pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.admin import OTPAdminSite

from accounts.models import User
from accounts.permissions import is_person
from accounts.views.signin import sign_out
from audit.models import Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor


class PlatformAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp is untyped
    """OTPAdminSite: has_permission requires an active staff user with a verified factor."""

    site_header = "ccplatform administration"
    site_title = "ccplatform admin"
    index_title = "Administration"

    def login(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        """The admin has no sign-in form of its own: one sign-in flow, with MFA, for all.

        A person already signed in with both factors who lands here is not staff: that is a
        refusal (403, audited), not a reason to sign in again.
        """
        if is_person(request.user):
            assert isinstance(request.user, User)
            audit_record(
                actor=Actor.user(request.user.pk),
                action="access.denied",
                target=AuditTarget("page", "/admin/"),
                outcome=Outcome.DENIED,
                details={"why": "not_staff"},
            )
            raise PermissionDenied
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")

    def logout(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        """Signing out of the admin is signing out of the platform (audited, Clear-Site-Data)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return sign_out(request)

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        """The admin's own form would skip the fresh second factor a change requires."""
        return HttpResponseRedirect(reverse("accounts:change_password"))

    def password_change_done(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("accounts:security"))
