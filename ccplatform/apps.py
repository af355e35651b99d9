from __future__ import annotations

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "ccplatform"
    verbose_name = "Platform"
