"""Reads of the audit app for other apps, scoped to the caller."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from audit.models import Alert
from audit.permissions import can_read_alerts
from ccplatform.callers import Caller

__all__ = ["Alert", "alerts_for"]


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
