"""Reads of customer data, always scoped to the caller (need-to-know)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role, ServiceAPIKey, User
from accounts.models.api_keys import Scope
from audit.models import Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor
from customers.models import Customer

Caller = User | ServiceAPIKey


def customers_visible_to(caller: Caller) -> QuerySet[Customer]:
    """Agents: their teams' customers and those assigned to them. Supervisors: their teams.
    Integrator keys with customers:read: all. Everyone else (compliance officers, security
    admins): none — compliance reaches records only through its own workflows.
    """
    base = Customer.objects.select_related("team")
    if isinstance(caller, ServiceAPIKey):
        # Authentication already refuses such keys; a key reaching here by another path
        # (a task, a shell) must not read either.
        usable = not caller.revoked and not caller.has_expired and caller.user.is_active
        return base if usable and caller.has_scope(Scope.CUSTOMERS_READ) else base.none()
    if not caller.is_active or not caller.has_perm("customers.view_customer"):
        return base.none()
    teams = caller.teams.all()
    if caller.role == Role.AGENT:
        return base.filter(Q(team__in=teams) | Q(assigned_to=caller)).distinct()
    if caller.role == Role.SUPERVISOR:
        return base.filter(team__in=teams)
    return base.none()


def actor_of(caller: Caller) -> Actor:
    if isinstance(caller, ServiceAPIKey):
        return Actor.api_key(caller.prefix)
    return Actor.user(caller.pk)


def customer_get_for(caller: Caller, customer_id: uuid.UUID | str) -> Customer:
    """The customer if `caller` may see it; Http404 whether hidden or missing (audited)."""
    try:
        key = uuid.UUID(str(customer_id))
    except ValueError:
        raise Http404 from None
    customer = customers_visible_to(caller).filter(pk=key).first()
    if customer is None:
        audit_record(
            actor=actor_of(caller),
            action="customer.access_denied",
            target=AuditTarget("customers.customer", str(key)),
            outcome=Outcome.DENIED,
            details={"why": "outside_scope_or_missing"},
        )
        raise Http404
    return customer
