"""Reads of the audit app for other apps, scoped to the caller."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from audit.models import Alert
from audit.models.alerts import ACTIVE_STATUSES
from audit.permissions import can_read_alerts
from ccplatform.callers import Caller

__all__ = ["Alert", "alerts_active", "alerts_for"]


def alerts_for(caller: Caller, ids: Iterable[uuid.UUID | str]) -> QuerySet[Alert]:
    """The alerts among `ids` that `caller` may read (none if they may read no alerts);
    ids that are not alerts are left out."""
    if not can_read_alerts(caller):
        return Alert.objects.none()
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return Alert.objects.filter(pk__in=wanted).order_by("first_seen")


def alerts_active(caller: Caller, *, limit: int = 50) -> QuerySet[Alert]:
    """Open and acknowledged alerts the caller may read, newest first: the evidence an
    incident is opened from."""
    if not can_read_alerts(caller):
        return Alert.objects.none()
    return Alert.objects.filter(status__in=ACTIVE_STATUSES).order_by("-raised_at")[:limit]
