from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The workflow's audit actions and its access rules.
        from incidents import actions, permissions  # noqa: F401
