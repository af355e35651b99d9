from __future__ import annotations

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The workflow's audit actions and its access rules; the start page's notices.
        from ccplatform.startpage import register_panel
        from incidents import actions, permissions  # noqa: F401
        from incidents.views.start import START_PANEL

        register_panel(START_PANEL)
