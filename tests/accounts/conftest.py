"""Fixtures the accounts tests share."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.personas import login_verified


@pytest.fixture
def admin_client(client: Client, security_admin: User) -> Client:
    """A browser signed in (both steps) as the security admin, the admin's usual user."""
    return login_verified(client, security_admin)
