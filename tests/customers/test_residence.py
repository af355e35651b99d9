"""Where customers live: the region code read from a free-text address (customers.residence),
and the system-only selector that reads it from the encrypted addresses for an incident's
counts (customers.selectors.customer_residences)."""

from __future__ import annotations

import uuid

import pytest
from pytest_django import DjangoAssertNumQueries

from accounts.models import Role, Team, User
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError
from customers import selectors
from customers.models import Customer
from customers.residence import region_of, residence
from customers.selectors import Residence, customer_residences
from customers.services.records import customer_create
from tests.personas import SETUP, Integrator, as_caller, key_caller, make_person

JOB = Caller.system("incident INC-2026-0003 affected customers")


# --- region_of: one address --------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "region"),
    [
        ("100 Lake Street, Minneapolis, MN", "US-MN"),
        ("1 Main St, Austin, TX 78701, USA", "US-TX"),
        ("PO Box 1, Anchorage, AK 99501", "US-AK"),
        ("500 5th Ave\nNew York, NY 10110-0002", "US-NY"),
        ("Austin, TX, United States", "US-TX"),
        ("Springfield, US", "US"),
        ("10 Downing Street, London SW1A 2AA", "GB"),
        ("221B Baker St, London NW1 6XE, United Kingdom", "GB"),
        ("Edinburgh EH1 1YZ, Scotland", "GB"),
        ("Toronto, ON M5V 2T6", "CA"),
        ("1 Rue Sainte-Catherine, Montreal, QC H2X 1Y4, Canada", "CA"),
        ("Berlin, Germany", "DE"),
        ("Sydney NSW 2000, Australia", "AU"),
        ("Lisbon, Portugal.", "PT"),
        ("Dublin 2, Ireland", "IE"),
        ("Paris, FR", "FR"),
        ("Brasília, Brasil", "BR"),
        ("Minneapolis MN 55401", "US-MN"),  # state and ZIP in the city's part
        ("Sacramento, CA", "US-CA"),  # a bare code that is also a country: the state
    ],
)
def test_the_last_part_that_names_a_place_decides(address: str, region: str) -> None:
    assert region_of(address) == region


@pytest.mark.parametrize(
    "address",
    [
        "asdf qwer zxcv",
        "",
        " , ,\n",
        "31 Larkspur Wynd, Galway",  # a town, but no state, postcode or country
        "Some place, ZZ 12345",  # a ZIP after something that is no state
    ],
)
def test_nothing_recognisable_is_unknown_never_guessed(address: str) -> None:
    assert region_of(address) == ""


@pytest.mark.parametrize(
    ("address", "region"),
    [("Sacramento, ca, USA", "US-CA"), ("Dover, de, USA", "US-DE")],
)
def test_a_lower_case_state_before_usa_is_that_state(address: str, region: str) -> None:
    assert region_of(address) == region


def test_a_german_address_with_its_country_code_is_not_delaware() -> None:
    assert region_of("Hauptstraße 5, 10115 Berlin, DE") == "DE"  # the postcode comes first


def test_a_customers_region_is_that_of_their_first_address_naming_one() -> None:
    assert residence(["somewhere", "Berlin, Germany", "1 Main St, Austin, TX 78701"]) == "DE"
    assert residence(["1 Main St, Austin, TX 78701", "Berlin, Germany"]) == "US-TX"
    assert residence(["nowhere at all"]) == ""
    assert residence([]) == ""


# --- customer_residences: from the encrypted addresses, for the system only ------------------


def _customer(team: Team, *addresses: str) -> Customer:
    values: dict[str, object] = {"name": "Residence Person", "addresses": list(addresses)}
    return customer_create(caller=SETUP, team_id=team.pk, values=values)


@pytest.mark.django_db
def test_the_system_reads_region_and_team_of_encrypted_customers(
    team_a: Team, team_b: Team
) -> None:
    minnesotan = _customer(team_a, "100 Lake Street, Minneapolis, MN")
    texan = _customer(team_b, "no idea", "1 Main St, Austin, TX 78701, USA")
    unknown = _customer(team_a)
    stored = Customer.objects.get(pk=minnesotan.pk).addresses_enc
    assert "Minneapolis" not in stored  # encrypted at rest
    before = AuditEvent.objects.count()

    found = customer_residences(JOB, [minnesotan.pk, str(texan.pk), unknown.pk, uuid.uuid4()])

    assert found == {
        str(minnesotan.pk): Residence("US-MN", team_a.pk),
        str(texan.pk): Residence("US-TX", team_b.pk),
        str(unknown.pk): Residence("", team_a.pk),
    }  # an id that is no customer is left out
    assert AuditEvent.objects.count() == before  # affected_compute records the counts
    assert "Minneapolis" not in repr(found)


@pytest.mark.django_db
def test_customers_are_read_in_batches(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: DjangoAssertNumQueries, team_a: Team
) -> None:
    monkeypatch.setattr(selectors, "REGION_BATCH", 2)
    made = [_customer(team_a, f"{n} Elm Street, Denver, CO 8020{n}") for n in range(5)]

    with django_assert_num_queries(3):
        found = customer_residences(JOB, [customer.pk for customer in made])

    assert {customer_id: place.region for customer_id, place in found.items()} == {
        str(customer.pk): "US-CO" for customer in made
    }


@pytest.mark.django_db
def test_no_ids_reads_nothing(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(0):
        assert customer_residences(JOB, []) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER])
def test_a_person_is_refused_and_the_refusal_is_recorded(team_a: Team, role: Role) -> None:
    person: User = make_person("some.one", role, team_a)
    customer = _customer(team_a, "100 Lake Street, Minneapolis, MN")

    with pytest.raises(AccessDeniedError):
        customer_residences(as_caller(person), [customer.pk])

    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.target_type, denied.target_id) == (
        str(person.pk),
        "customers.customer",
        "regions",
    )
    assert denied.details == {
        "rule": "customers.locate",
        "via": "page",
        "resource": "customers.customer:regions",
        "why": "people_not_allowed",
    }


@pytest.mark.django_db
def test_an_integrator_key_is_refused(integrator: Integrator, team_a: Team) -> None:
    customer = _customer(team_a, "Berlin, Germany")
    with pytest.raises(AccessDeniedError):
        customer_residences(key_caller(integrator), [customer.pk])
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.details["rule"], denied.details["why"]) == (
        "customers.locate",
        "keys_not_allowed",
    )
