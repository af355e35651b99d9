"""Panels of the start page that other apps contribute (the platform imports no app).

An app registers a panel from its AppConfig.ready: a template and a function of the caller
that returns the template's context, or None when the panel is not for this caller. The
start page shows the registered panels in order of registration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ccplatform.callers import Caller


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: Callable[[Caller], dict[str, Any] | None]


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _PANELS[panel.name] = panel


def panels_for(caller: Caller) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of each panel shown to `caller`."""
    shown = []
    for panel in _PANELS.values():
        context = panel.context(caller)
        if context is not None:
            shown.append((panel.template, context))
    return shown
