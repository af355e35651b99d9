"""Tell a person by email when a factor or their password changes (after the commit)."""

from __future__ import annotations

import smtplib

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import User

logger = structlog.get_logger(__name__)

MESSAGES = {
    "password.changed": "The password of your ccplatform account was changed.",
    "password.reset": "The password of your ccplatform account was reset.",
    "mfa.enrolled": "An authenticator app was set up as the second factor of your account.",
    "mfa.reset": "The second factor of your ccplatform account was reset by a security admin.",
    "mfa.recovery_codes_regenerated": (
        "New recovery codes were generated; the old ones no longer work."
    ),
    "mfa.recovery_code_used": "A recovery code was used to sign in to your account.",
}


def notify_security_change(user: User, event: str) -> None:
    """Queue an email to `user` about `event`, sent only if the transaction commits."""
    if not user.email:
        return
    body = (
        f"{MESSAGES[event]}\n\nIf this was not you, contact your security team at once: "
        "someone may have access to your account."
    )

    def send() -> None:
        try:
            send_mail(
                "ccplatform: security change on your account",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
        except (OSError, smtplib.SMTPException):
            # The change is committed; a mail outage must not turn it into an error page.
            logger.warning("security_notification_failed", user_id=str(user.pk), change=event)

    transaction.on_commit(send)
