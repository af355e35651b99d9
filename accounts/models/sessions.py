"""Server-side sessions that know their user, so people can see and end them."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone

SESSION_IP_KEY = "_ccp_ip"
SESSION_USER_AGENT_KEY = "_ccp_user_agent"


class UserSession(AbstractBaseSession):
    """One browser session; `user` is set once both sign-in steps have passed.

    `ip` and `user_agent` are what the user sees in their session list to recognise a
    device; they are security data about staff, not customer data.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sessions",
    )
    created_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expire_date"], name="accounts_session_user")]

    @classmethod
    def get_session_store_class(cls) -> type[SessionStore]:
        return SessionStore


class SessionStore(DBStore):
    """Django's database session store on UserSession, filling in user, IP and user agent."""

    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        instance = cast(UserSession, super().create_model_instance(data))
        instance.user_id = data.get(SESSION_KEY)
        instance.ip = data.get(SESSION_IP_KEY)
        instance.user_agent = str(data.get(SESSION_USER_AGENT_KEY, ""))[:400]
        return instance
