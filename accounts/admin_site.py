"""The admin site: only for staff who signed in with both factors, through our sign-in pages.

Whether the signed-in person may use the admin at all is the predicate `can_use_admin`,
asked by `has_permission` on every admin page, so a rule added to the gate reaches the
admin as it reaches the pages and the API.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.admin import OTPAdminSite

from accounts.permissions import can_use_admin
from accounts.views.signin import sign_out
from ccplatform.callers import caller_of
from ccplatform.gate import entry_point, require


class PlatformAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp is untyped
    """The admin for callers `can_use_admin` allows (staff with a verified second factor)."""

    site_header = "ccplatform administration"
    site_title = "ccplatform admin"
    index_title = "Administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(can_use_admin(caller_of(request)))

    def login(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        """The admin has no sign-in form of its own: one sign-in flow, with MFA, for all.

        A person already signed in with both factors who lands here may not use the admin:
        that is a refusal (403, audited), not a reason to sign in again.
        """
        caller = caller_of(request)
        target = request.GET.get("next") or reverse("admin:index")
        if caller.is_person:
            require(caller, can_use_admin(caller), resource=entry_point(request))
            return HttpResponseRedirect(reverse("admin:index"))
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
