"""Browser URLs of the accounts app (/accounts/...)."""

from __future__ import annotations

from django.urls import path

from accounts.views import password_reset, security, signin

app_name = "accounts"

urlpatterns = [
    path("login/", signin.sign_in, name="login"),
    path("verify/", signin.verify, name="verify"),
    path("enrol/", signin.enrol, name="enrol"),
    path("logout/", signin.sign_out, name="logout"),
    path("security/", security.security, name="security"),
    path("security/sessions/end/", security.end_session, name="end_session"),
    path("security/password/", security.change_password, name="change_password"),
    path("security/recovery-codes/", security.regenerate_recovery_codes, name="recovery_codes"),
    path("session/keep-alive/", security.keep_alive, name="keep_alive"),
    path("password-reset/", password_reset.request_reset, name="password_reset"),
    path("password-reset/sent/", password_reset.reset_sent, name="password_reset_sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.confirm_reset,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", password_reset.reset_complete, name="password_reset_complete"),
]
