"""System checks of the platform's own configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security)
def local_key_file_warning(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Loudly say when field-encryption keys come from the embedded default's local file."""
    if not getattr(settings, "KEYS_FROM_LOCAL_FILE", False):
        return []
    return [
        Warning(
            f"Field-encryption and blind-index keys come from the generated file "
            f"{settings.KEY_FILE}.",
            hint=(
                "Fine for trying the platform; in production set FIELD_ENCRYPTION_KEYS and "
                "BLIND_INDEX_KEYS (or their _FILE variants) from your secret store, and back "
                "them up: without them the data cannot be read."
            ),
            id="ccplatform.W001",
        )
    ]
