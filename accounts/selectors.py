"""Reads of accounts for other apps and pages, scoped to the caller.

Other apps reach teams through these functions, never through accounts' models: a person
chooses among their own teams, an integrator key or the system among all of them. `Team` is
exported for type annotations only.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from accounts.models import Team
from ccplatform.callers import Caller

__all__ = ["Team", "team_for", "team_named", "teams_for"]


def teams_for(caller: Caller) -> QuerySet[Team]:
    """The teams `caller` may put customers in: a person's own, every team for a key or the
    system, none for anyone else."""
    if caller.is_person:
        return Team.objects.filter(pk__in=caller.team_ids)
    if caller.is_key or caller.is_system:
        return Team.objects.all()
    return Team.objects.none()


def team_for(caller: Caller, team_id: uuid.UUID | str) -> Team | None:
    """One of `teams_for(caller)`, or None (missing and not allowed look alike)."""
    try:
        key = uuid.UUID(str(team_id))
    except ValueError:
        return None
    return teams_for(caller).filter(pk=key).first()


def team_named(name: str) -> Team | None:
    """The team with exactly this name (for operators' commands, which name teams)."""
    return Team.objects.filter(name=name).first()
