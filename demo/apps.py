from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the embedded default (`make run`): above every app, imported by none."""

    name = "demo"
    verbose_name = "Demo data"
