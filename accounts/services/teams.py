"""Teams (queues): created and renamed by security admins, every change audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.actions import TEAM_CREATED, TEAM_RENAMED
from accounts.models import Team
from accounts.permissions import can_add_teams, can_manage_teams
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require

NAME_MAX_LENGTH = 100


def _taken() -> ServiceError:
    return ServiceError("A team with that name exists.", fields={"name": ["Already in use."]})


def _clean_name(name: str, *, renaming: Team | None = None) -> str:
    """The name with runs of spaces collapsed; unique regardless of case."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ServiceError("A team name is required.", fields={"name": ["This field is required."]})
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ServiceError(
            "The team name is too long.",
            fields={"name": [f"At most {NAME_MAX_LENGTH} characters."]},
        )
    # "Team A" and "team a" would look like one queue to the people choosing between them.
    clashes = Team.objects.filter(name__iexact=cleaned)
    if renaming is not None:
        clashes = clashes.exclude(pk=renaming.pk)
    if clashes.exists():
        raise _taken()
    return cleaned


def team_create(*, caller: Caller, name: str) -> Team:
    """Create a team; its name is unique whatever the case."""
    require(caller, can_add_teams(caller), resource=("accounts.team", "new"))
    with transaction.atomic():
        cleaned = _clean_name(name)
        try:
            # A savepoint, so a concurrent insert of the same name leaves the caller's
            # transaction usable and becomes the same readable error.
            with transaction.atomic():
                team = Team.objects.create(name=cleaned)
        except IntegrityError:
            raise _taken() from None
        audit_record(
            actor=caller.actor, action=TEAM_CREATED, target=team, details={"name": team.name}
        )
    return team


def team_rename(*, caller: Caller, team: Team, name: str) -> Team:
    """Rename a team; members and customers stay with it (they point at its id)."""
    require(caller, can_manage_teams(caller), resource=team)
    with transaction.atomic():
        return _team_rename(caller, team, name)


def _team_rename(caller: Caller, team: Team, name: str) -> Team:
    cleaned = _clean_name(name, renaming=team)
    previous = team.name
    if cleaned == previous:
        return team
    team.name = cleaned
    try:
        with transaction.atomic():
            team.save(update_fields=["name"])
    except IntegrityError:
        team.name = previous
        raise _taken() from None
    audit_record(
        actor=caller.actor,
        action=TEAM_RENAMED,
        target=team,
        details={"from": previous, "to": cleaned},
    )
    return team
