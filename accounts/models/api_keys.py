"""API keys of integrator service accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.models import AbstractAPIKey


class ServiceAPIKey(AbstractAPIKey):
    """A hashed key that lets one service account call the API with the given scopes
    (names of ccplatform.scopes.Scope).

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
