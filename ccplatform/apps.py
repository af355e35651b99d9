from __future__ import annotations

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "ccplatform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from ccplatform import checks  # noqa: F401  (registers the system checks)
