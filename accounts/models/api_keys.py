"""API keys of integrator service accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class Scope(models.TextChoices):
    """What a key may do. Checked by the API's permission classes."""

    CUSTOMERS_READ = "customers:read", "Read customers"
    CUSTOMERS_WRITE = "customers:write", "Create and update customers"
    AUDIT_READ = "audit:read", "Read the audit log"


class ServiceAPIKey(AbstractAPIKey):
    """A hashed key that lets one service account call the API with the given scopes.

    Only the prefix and a hash are stored; the key is shown once when created.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    scopes = models.JSONField(default=list)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "integrator API key"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
