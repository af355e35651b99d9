from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        # The app's audit actions and access rules, declared once, known from the start.
        from accounts import actions, permissions  # noqa: F401

        # Roles are defined in code; migrate is when permissions exist, so sync then.
        post_migrate.connect(_sync_roles_after_migrate, sender=self)
        # Registers the authentication schemes with drf-spectacular.
        import accounts.schema  # noqa: F401

        # Imported here, once the app registry is ready: the rotation job queries models.
        from accounts.services.mfa import AuthenticatorSecretRewrap
        from ccplatform.crypto.rotation import register

        register(AuthenticatorSecretRewrap())


def _sync_roles_after_migrate(**kwargs: Any) -> None:
    from accounts.roles import sync_roles

    sync_roles()
