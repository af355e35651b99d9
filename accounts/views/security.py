"""A person's own security page: sessions, password, recovery codes, staying signed in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.callers import user_of
from accounts.forms import PasswordChangeForm
from accounts.models import RecoveryCodeDevice
from accounts.permissions import can_manage_own_security
from accounts.services.mfa import mfa_recovery_codes_regenerate
from accounts.services.passwords import password_change, password_change_check
from accounts.services.sessions import session_end, session_end_others, session_public_id
from accounts.services.signin import signin_second_factor
from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError

own_security = gate.page(can_manage_own_security)


@own_security
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = user_of(caller_of(request))
    current_key = request.session.session_key
    sessions = [
        {
            "id": session_public_id(session),
            "current": session.session_key == current_key,
            "created_at": session.created_at,
            "expires_at": session.expire_date,
            "ip": session.ip,
            "user_agent": session.user_agent,
        }
        for session in user.sessions.filter(expire_date__gt=timezone.now()).order_by("-created_at")
    ]
    recovery = RecoveryCodeDevice.objects.filter(user=user).first()
    context = {
        "sessions": sessions,
        "recovery_codes_left": recovery.remaining() if recovery else 0,
    }
    return render(request, "accounts/security.html", context)


@own_security
@require_POST
def end_session(request: HttpRequest) -> HttpResponse:
    caller = caller_of(request)
    session_id = request.POST.get("session", "")
    if session_id == "others":
        ended = session_end_others(
            caller=caller, keep_session_key=request.session.session_key or ""
        )
        messages.success(request, f"Signed out {ended} other session(s).")
    else:
        try:
            session_end(caller=caller, session_id=session_id)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Session ended.")
    return redirect("accounts:security")


@own_security
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    caller = caller_of(request)
    user = user_of(caller)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # Check the new password first: a rejected one must not spend the one-time code.
            password_change_check(
                caller=caller,
                current_password=data["current_password"],
                new_password=data["new_password"],
            )
            if signin_second_factor(user=user, code=data["code"]).device is None:
                raise ServiceError(
                    "", fields={"code": ["That code is not valid (each code works once)."]}
                )
            ended = password_change(
                caller=caller,
                current_password=data["current_password"],
                new_password=data["new_password"],
                keep_session_key=request.session.session_key,
            )
        except ServiceError as error:
            for field, problems in error.fields.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, f"Password changed. {ended} other session(s) ended.")
            return redirect("accounts:security")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/change_password.html", {"form": form}, status=status)


@own_security
@require_POST
def regenerate_recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = mfa_recovery_codes_regenerate(caller=caller_of(request))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("accounts:security")
    return render(
        request, "accounts/recovery_codes.html", {"codes": codes, "next_url": "/accounts/security/"}
    )


@own_security
@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Renews the idle timer (every request does; this one exists for the idle warning)."""
    request.session.modified = True
    return HttpResponse(status=204)
