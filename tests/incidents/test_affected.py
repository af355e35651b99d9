"""Affected customers from the audit log: what a compromised actor, key, address range or
time window touched, split plaintext / ciphertext, with categories and regions of residence,
frozen into the incident; the counts drive the notices owed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.context import RequestInfo, request_context
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.selectors import customer_get_for
from customers.services.access_log import customers_listed
from customers.services.records import customer_viewed
from incidents.models import AffectedCustomer, EntryKind, Exposure, Incident
from incidents.services.affected import Compromised
from incidents.tasks import affected_request
from tests.incidents.world import customers_in, opened, touched_by
from tests.personas import Integrator, as_caller, key_caller

pytestmark = pytest.mark.django_db


def compute(officer: User, incident: Incident, **compromised: object) -> None:
    affected_request(
        caller=as_caller(officer),
        incident=incident,
        compromised=Compromised(**compromised),  # type: ignore[arg-type]
    )


def test_an_actor_query_splits_plaintext_from_ciphertext_with_categories_and_regions(
    compliance_officer: User, agent: User, team_a: Team
) -> None:
    customers = customers_in(team_a)
    touched_by(agent, customers, reveal=1)
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, user_id=str(agent.pk))
    affected = incident.affected_sets.get()
    assert (affected.total, affected.plaintext) == (4, 1)
    assert affected.counts["regions"] == {"GB": 1, "US-CA": 1, "US-MN": 1, "US-TX": 1}
    assert affected.counts["plaintext_categories"] == {"contact": 1}
    revealed = AffectedCustomer.objects.get(affected_set=affected, customer_id=customers[0].pk)
    assert revealed.exposure == Exposure.PLAINTEXT
    assert revealed.actions == ["customer.revealed", "customer.viewed"]
    masked = AffectedCustomer.objects.get(affected_set=affected, customer_id=customers[3].pk)
    assert (masked.exposure, masked.region) == (Exposure.CIPHERTEXT, "GB")
    assert masked.categories == ["contact", "financial"]


def test_nothing_personal_is_copied_into_the_incident(
    compliance_officer: User, agent: User, team_a: Team
) -> None:
    touched_by(agent, customers_in(team_a))
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, user_id=str(agent.pk))
    stored = str(list(AffectedCustomer.objects.values())) + str(
        list(incident.timeline.values("text", "details"))
    )
    for value in ("Lake Street", "Minneapolis", "Person 0", "Austin"):
        assert value not in stored


def test_the_counts_drive_the_notices_owed(
    compliance_officer: User, agent: User, team_a: Team
) -> None:
    touched_by(agent, customers_in(team_a))
    incident = opened(compliance_officer)
    assert not incident.obligations.filter(place="US-TX").exists()
    compute(compliance_officer, incident, user_id=str(agent.pk))
    places = set(incident.obligations.values_list("place", flat=True))
    assert {"US-TX", "US-CA", "GB"} <= places  # residents of those places were touched
    assert incident.timeline.filter(kind=EntryKind.AFFECTED).count() == 1


def test_a_window_over_all_actors_and_an_address_range(
    compliance_officer: User, agent: User, other_agent: User, team_a: Team, team_b: Team
) -> None:
    mine, theirs = customers_in(team_a, ("1 A St, Reno, NV",)), customers_in(team_b)
    with request_context(RequestInfo(request_id="r1", ip="203.0.113.9")):
        touched_by(agent, mine, reveal=0)
    with request_context(RequestInfo(request_id="r2", ip="198.51.100.4")):
        touched_by(other_agent, theirs, reveal=0)
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, network="203.0.113.0/24")
    assert incident.affected_sets.first().total == 1  # type: ignore[union-attr]
    compute(compliance_officer, incident, since=timezone.now() - timedelta(minutes=5))
    newest = incident.affected_sets.first()
    assert newest.total == 5  # type: ignore[union-attr]
    assert incident.affected_sets.count() == 2  # the earlier set is kept


def test_a_compromised_api_key_counts_what_it_viewed_and_listed(
    compliance_officer: User, integrator: Integrator, team_a: Team
) -> None:
    customers = customers_in(team_a)
    key = key_caller(integrator)
    customer_viewed(caller=key, customer=customers[0])
    customers_listed(caller=key, customer_ids=[str(c.pk) for c in customers[1:3]], page=1)
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, api_key_prefix=key.key_prefix)
    affected = incident.affected_sets.get()
    assert (affected.total, affected.plaintext) == (3, 0)
    assert affected.query == {"actor": f"api_key:{key.key_prefix}"}


def test_refused_events_expose_nothing(
    compliance_officer: User, other_agent: User, team_a: Team
) -> None:
    customers = customers_in(team_a)
    with pytest.raises(Http404):
        customer_get_for(as_caller(other_agent), customers[0].pk)
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, user_id=str(other_agent.pk))
    assert incident.affected_sets.get().total == 0


def test_bad_queries_name_their_field(compliance_officer: User) -> None:
    incident = opened(compliance_officer)
    cases: dict[str, dict[str, object]] = {
        "query": {},
        "network": {"network": "not-an-address"},
        "user_id": {"user_id": "00000000-0000-0000-0000-000000000000"},
        "api_key_prefix": {"api_key_prefix": "nope"},
        "session_id": {"session_id": "0" * 16},
        "until": {"since": timezone.now(), "until": timezone.now() - timedelta(hours=1)},
    }
    for name, given in cases.items():
        with pytest.raises(ServiceError) as refused:
            compute(compliance_officer, incident, **given)
        assert name in refused.value.fields, name
    assert not incident.affected_sets.exists()


def test_only_handlers_may_compute(agent: User, compliance_officer: User) -> None:
    incident = opened(compliance_officer)
    with pytest.raises(AccessDeniedError):
        compute(agent, incident, user_id=str(agent.pk))
    denial = AuditEvent.objects.get(action="access.denied", actor_id=str(agent.pk))
    assert denial.details["rule"] == "incidents.handle"
