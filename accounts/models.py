"""Accounts: the people and service accounts that use the platform."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """One person (agent, supervisor, compliance officer, security admin) or service account.

    The primary key is a UUID so ids shown in the audit log and the API reveal nothing about
    how many accounts exist or in which order they were made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
