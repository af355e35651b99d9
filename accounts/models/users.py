"""Users, their role, and the teams (queues) they work in."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    """What a person does here. Each role is a group whose permissions live in accounts/roles.py."""

    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    SECURITY_ADMIN = "security_admin", "Security admin"
    INTEGRATOR = "integrator", "Integrator (service account)"


HUMAN_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.SECURITY_ADMIN})
# Roles that work in the admin site (still behind the verified second factor).
STAFF_ROLES = frozenset({Role.COMPLIANCE_OFFICER, Role.SECURITY_ADMIN})


class Team(models.Model):
    """A queue of customers and the agents and supervisors who serve it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp devices are untyped
    """One person (agent, supervisor, compliance officer, security admin) or service account.

    The primary key is a UUID so ids in the audit log and the API reveal nothing about how
    many accounts exist. A service account (role integrator) has no usable password and can
    only act through API keys; people can never hold API keys. Failed sign-in steps
    (password or second factor) share one counter that locks the account.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    role = models.CharField(max_length=32, choices=Role.choices)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)
    failed_sign_in_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # Dormancy counts from the later of last_login and this (set on creation and re-enabling).
    active_since = models.DateTimeField(default=timezone.now)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("unlock_user", "Can unlock a locked account"),
            ("reset_mfa", "Can reset a user's second factor"),
            ("disable_user", "Can disable or re-enable an account"),
            ("assign_role", "Can change a user's role and teams"),
            ("manage_api_keys", "Can create and revoke integrator API keys"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
        ]

    @property
    def is_service_account(self) -> bool:
        return self.role == Role.INTEGRATOR

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())
