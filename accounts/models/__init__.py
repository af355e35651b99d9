"""Accounts models: people and service accounts, teams, factors, sessions and API keys."""

from __future__ import annotations

from accounts.models.api_keys import ServiceAPIKey
from accounts.models.authenticators import AuthenticatorDevice
from accounts.models.security import PasswordHistory, RecoveryCode, RecoveryCodeDevice
from accounts.models.sessions import UserSession
from accounts.models.users import Role, Team, User

__all__ = [
    "AuthenticatorDevice",
    "PasswordHistory",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Role",
    "ServiceAPIKey",
    "Team",
    "User",
    "UserSession",
]
