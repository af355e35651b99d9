"""SESSION_ENGINE for the platform: database sessions that record their user."""

from __future__ import annotations

from accounts.models.sessions import SessionStore

__all__ = ["SessionStore"]
