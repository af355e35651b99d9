"""Sign-in: password, then the second factor (or enrolment on first sign-in), and sign-out."""

from __future__ import annotations

import base64

import segno
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import signin_state
from accounts.forms import GENERIC_SIGN_IN_ERROR, CodeForm, SignInForm
from accounts.models import User
from accounts.services.mfa import mfa_enrolment_device
from accounts.services.signin import (
    signin_enrolment_confirm,
    signin_password,
    signin_second_factor,
    signout,
)
from accounts.throttling import signin_retry_after
from ccplatform.permissions import public_endpoint

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def _throttled(request: HttpRequest, template: str, form: object) -> HttpResponse | None:
    retry_after = signin_retry_after(request)
    if retry_after is None:
        return None
    context = {
        "form": form,
        "error": f"Too many attempts from your network. Try again in {retry_after} seconds.",
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@public_endpoint
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if (throttled := _throttled(request, "accounts/sign_in.html", form)) is not None:
            return throttled
        if form.is_valid():
            user = signin_password(request=request, **form.cleaned_data)
            if user is not None:
                pending = signin_state.start(request, user, request.GET.get("next"))
                return redirect(
                    "accounts:enrol" if pending.stage == signin_state.ENROL else "accounts:verify"
                )
        return render(
            request, "accounts/sign_in.html", {"form": form, "error": GENERIC_SIGN_IN_ERROR}
        )
    return render(request, "accounts/sign_in.html", {"form": form})


@public_endpoint
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    pending = signin_state.current(request)
    if pending is None or pending.stage != signin_state.VERIFY:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if (throttled := _throttled(request, "accounts/verify.html", form)) is not None:
            return throttled
        if form.is_valid():
            result = signin_second_factor(user=pending.user, code=form.cleaned_data["code"])
            if result.device is not None:
                return HttpResponseRedirect(
                    signin_state.complete(request, pending.user, result.device)
                )
        return render(
            request, "accounts/verify.html", {"form": form, "error": GENERIC_SIGN_IN_ERROR}
        )
    return render(request, "accounts/verify.html", {"form": form})


def _qr_svg(config_url: str) -> str:
    return str(segno.make(config_url, error="m").svg_inline(scale=5, border=2, omitsize=True))


@public_endpoint
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    pending = signin_state.current(request)
    if pending is None or pending.stage != signin_state.ENROL:
        return redirect("accounts:login")
    user: User = pending.user
    device = mfa_enrolment_device(user=user)
    form = CodeForm(request.POST or None)
    context: dict[str, object] = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _base32(device.bin_key),
    }
    if request.method == "POST":
        if (throttled := _throttled(request, "accounts/enrol.html", form)) is not None:
            return throttled
        if form.is_valid():
            codes = signin_enrolment_confirm(user=user, code=form.cleaned_data["code"])
            if codes is not None:
                device.refresh_from_db()
                next_url = signin_state.complete(request, user, device)
                # Shown once, in this response only: the codes are stored as hashes.
                return render(
                    request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url}
                )
        context["error"] = "That code did not match. Check the time on your phone and try again."
    return render(request, "accounts/enrol.html", context)


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


@public_endpoint
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User) and request.user.is_authenticated:
        signout(user=request.user)
    logout(request)  # deletes the server-side session
    response = HttpResponseRedirect(reverse("accounts:login"))
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
