"""customer_create / customer_update / customers_search: encrypted at rest, indexed, audited."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.crypto.blind_index import LookupKind, blind_index
from ccplatform.crypto.data_keys import data_key_unwrap
from ccplatform.crypto.providers import DecryptionError, WrappedKey, key_provider
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.crypto import CustomerCipher
from customers.fields import FIELDS
from customers.models import Customer, CustomerLookup
from customers.permissions import can_view_customers
from customers.services.records import customer_create, customer_reveal, customer_update
from customers.services.search import customers_search
from tests.personas import SETUP, as_caller, key_caller, make_integrator

pytestmark = pytest.mark.django_db

ACCOUNT = "ACC 4403-2215-5678"
VALUES: dict[str, Any] = {
    "name": "Ximena Quetzalcoatl",
    "date_of_birth": dt.date(1979, 3, 14),
    "addresses": ["77 Marzipan Crescent, Duluth"],
    "phones": ["+1 555 123 4567", "+44 20 7946 0321"],
    "emails": ["Ximena.Q@Example.com", "xq.work@corp-example.org"],
    "account_number": ACCOUNT,
    "card_token": "tok_zq81vnw3",
    "card_last4": "1111",
    "medical_notes": "Allergic to penicillamine; uses a nebuliser",
}
# Distinctive pieces of VALUES (and their normalised forms), compared case-insensitively.
NEEDLES = (
    "Ximena",
    "Quetzalcoatl",
    "1979-03-14",
    "Marzipan",
    "5551234567",
    "2079460321",
    "ximena.q@example.com",
    "xq.work",
    "440322155678",
    "4403-2215",
    "tok_zq81vnw3",
    "penicillamine",
    "nebuliser",
)
COUNTED = (Customer, CustomerLookup, AuditEvent)


def actor_of(user: User) -> Caller:
    """The person's caller (as a verified session gives it)."""
    return as_caller(user)


def create(team: Team, caller: Caller | None = None, **changes: Any) -> Customer:
    values = {**VALUES, **changes}
    return customer_create(caller=caller or SETUP, team_id=team.pk, values=values)


def raw_rows(table: str) -> list[dict[str, Any]]:
    """Every row of `table` as the database holds it, bypassing the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def as_text(value: object) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def plaintext_in(texts: Iterator[str] | list[str]) -> list[str]:
    found = []
    for text in texts:
        folded = text.casefold()
        found += [needle for needle in NEEDLES if needle.casefold() in folded]
    return found


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


# --- customer_create ------------------------------------------------------------------------


def test_create_stores_every_personal_field_encrypted_under_the_customers_key(team_a: Team) -> None:
    customer = create(team_a)
    [row] = raw_rows("customers_customer")
    for field in FIELDS:
        stored = row[f"{field}_enc"]
        assert stored.startswith(f"e1.{customer.data_key_id}."), field
    assert plaintext_in(as_text(value) for value in row.values()) == []
    assert row["card_last4_enc"] != "1111"

    reread = Customer.objects.get(pk=customer.pk)
    cipher = CustomerCipher(reread)
    assert {field: cipher.decrypt(field) for field in FIELDS} == {
        **VALUES,
        "phones": ["+15551234567", "+442079460321"],
        "account_number": "440322155678",
    }


def test_create_leaves_no_plaintext_in_rows_data_keys_lookups_or_audit(
    team_a: Team, supervisor: User
) -> None:
    customer = create(team_a, actor_of(supervisor))
    customer_reveal(
        caller=actor_of(supervisor),
        customer=customer,
        fields=["phones", "medical_notes"],
        reason="caller verification",
    )
    for table in ("customers_customer", "customers_customerlookup", "audit_auditevent"):
        rows = raw_rows(table)
        assert rows, table
        assert plaintext_in([as_text(value) for row in rows for value in row.values()]) == [], table


def test_create_makes_one_wrapped_data_key_bound_to_the_customer(team_a: Team) -> None:
    customer = Customer.objects.get(pk=create(team_a).pk)
    other = Customer.objects.get(pk=create(team_a).pk)
    assert customer.data_key_id != other.data_key_id
    assert customer.data_key_subject == f"customers.customer:{customer.pk}"
    assert customer.data_key_kek_version == key_provider().active_version
    plain = data_key_unwrap(customer)
    assert len(plain) == 32
    assert plain != data_key_unwrap(other)
    assert plain.hex() not in customer.data_key_wrapped
    with pytest.raises(DecryptionError):
        key_provider().unwrap(
            WrappedKey(kek_version=customer.data_key_kek_version, blob=customer.data_key_wrapped),
            context="customers.customer:someone-else",
        )


def test_create_indexes_each_phone_email_and_account_number_by_digest(team_a: Team) -> None:
    customer = create(team_a)
    stored = set(customer.lookups.values_list("kind", "digest", "key_version"))
    expected = {
        (kind.value, blind_index(kind, value)[1], blind_index(kind, value)[0])
        for kind, value in [
            (LookupKind.PHONE, "+15551234567"),
            (LookupKind.PHONE, "+442079460321"),
            (LookupKind.EMAIL, "ximena.q@example.com"),
            (LookupKind.EMAIL, "xq.work@corp-example.org"),
            (LookupKind.ACCOUNT_NUMBER, "440322155678"),
        ]
    }
    assert stored == expected
    assert all(len(digest) == 64 for _, digest, _ in stored)


def test_create_is_audited_with_field_names_only(team_a: Team, supervisor: User) -> None:
    customer = create(team_a, actor_of(supervisor))
    event = AuditEvent.objects.get(action="customer.created")
    assert (event.actor_kind, event.actor_id) == ("user", str(supervisor.pk))
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.details == {"fields": sorted(VALUES), "team": str(team_a.pk)}


def test_an_agent_creates_in_their_team_without_medical_fields(team_a: Team, agent: User) -> None:
    customer = create(team_a, actor_of(agent), medical_notes="")
    event = AuditEvent.objects.get(action="customer.created")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert event.details == {
        "fields": sorted(set(VALUES) - {"medical_notes"}),
        "team": str(team_a.pk),
    }
    assert customer.team == team_a


def test_an_agent_setting_medical_fields_is_refused_and_nothing_is_written(
    team_a: Team, agent: User
) -> None:
    customers, lookups = Customer.objects.count(), CustomerLookup.objects.count()
    with pytest.raises(AccessDeniedError) as refused:
        create(team_a, actor_of(agent))
    assert refused.value.decision.rule == "customers.write_medical"
    assert (Customer.objects.count(), CustomerLookup.objects.count()) == (customers, lookups)
    assert not AuditEvent.objects.filter(action="customer.created").exists()
    denied = AuditEvent.objects.get(action="access.denied")
    assert (denied.actor_id, denied.target_type, denied.target_id) == (
        str(agent.pk),
        "customers.customer",
        "new",
    )
    assert denied.details["why"] == "missing_permission:customers.view_medical"


def test_a_person_creates_only_in_their_own_teams_keys_and_the_system_in_any(
    team_a: Team, team_b: Team, supervisor: User
) -> None:
    before = counts()
    with pytest.raises(ServiceError) as refused:
        create(team_b, actor_of(supervisor))
    assert refused.value.fields == {"team": ["Choose one of your teams."]}
    assert counts() == before
    writer = make_integrator("crm.push", scopes=("customers:write",))
    assert create(team_b, key_caller(writer)).team == team_b
    assert create(team_b).team == team_b  # the system (an operator's script)


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_work_cannot_create(
    team_a: Team, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(AccessDeniedError):
        create(team_a, actor_of(user), medical_notes="")
    assert not Customer.objects.exists()
    denied = AuditEvent.objects.get(action="access.denied")
    assert denied.details == {
        "rule": "customers.create",
        "via": "page",
        "resource": "customers.customer:new",
        "why": "missing_permission:customers.add_customer",
    }


def test_create_assigns_the_given_agents(team_b: Team, agent: User) -> None:
    customer = customer_create(
        caller=SETUP, team_id=team_b.pk, values={"name": "Ann Other"}, assigned_to=[agent]
    )
    assert list(customer.assigned_to.all()) == [agent]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phones": ["not a phone"]}, "phones"),
        ({"phones": ["+1 555"]}, "phones"),
        ({"emails": ["ximena-at-example.com"]}, "emails"),
        ({"account_number": "12"}, "account_number"),
        ({"date_of_birth": dt.date(2999, 1, 1)}, "date_of_birth"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "31/02/1980"}, "date_of_birth"),
        ({"date_of_birth": 19800101}, "date_of_birth"),
        ({"name": "   "}, "name"),
        ({"card_token": "4111 1111 1111 1111"}, "card_token"),
        ({"card_last4": "4111111111111111"}, "card_last4"),
        ({"card_last4": "11a1"}, "card_last4"),
        ({"nickname": "Xi"}, "nickname"),
    ],
)
def test_bad_input_is_refused_with_field_errors_and_nothing_written(
    team_a: Team, changes: dict[str, Any], field: str
) -> None:
    before = counts()
    with pytest.raises(ServiceError) as refused:
        create(team_a, **changes)
    assert field in refused.value.fields
    assert refused.value.fields[field]
    assert counts() == before


def test_create_without_a_name_is_refused(team_a: Team) -> None:
    before = counts()
    with pytest.raises(ServiceError) as refused:
        customer_create(caller=SETUP, team_id=team_a.pk, values={"phones": ["5551234567"]})
    assert "name" in refused.value.fields
    assert counts() == before


def test_several_bad_fields_are_reported_together(team_a: Team) -> None:
    with pytest.raises(ServiceError) as refused:
        create(team_a, phones=["nope"], emails=["nope"], date_of_birth=dt.date(2999, 1, 1))
    assert set(refused.value.fields) >= {"phones", "emails", "date_of_birth"}


def test_date_of_birth_may_be_given_as_iso_text(team_a: Team) -> None:
    customer = create(team_a, date_of_birth="1979-03-14")
    assert CustomerCipher(customer).decrypt("date_of_birth") == dt.date(1979, 3, 14)


def test_a_single_value_for_a_list_field_is_kept_as_one_item(team_a: Team) -> None:
    customer = create(team_a, addresses="77 Marzipan Crescent", phones="555 123 4567", emails=())
    cipher = CustomerCipher(customer)
    assert cipher.decrypt("addresses") == ["77 Marzipan Crescent"]
    assert cipher.decrypt("phones") == ["+15551234567"]
    assert cipher.decrypt("emails") == []


def test_card_number_in_medical_notes_is_masked_and_its_cvv_removed(
    team_a: Team, supervisor: User
) -> None:
    customer = create(team_a, medical_notes="Paid with 4111 1111 1111 1111 cvv 737 for inhaler")
    revealed = customer_reveal(
        caller=actor_of(supervisor),
        customer=customer,
        fields=["medical_notes"],
        reason="care plan review",
    )
    notes = str(revealed["medical_notes"])
    assert "4111 1111 1111 1111" not in notes
    assert "•••• 1111" in notes
    assert "737" not in notes
    assert notes.endswith("for inhaler")


# --- customer_update ------------------------------------------------------------------------


def search(caller: Caller, kind: LookupKind, value: str) -> list[Customer]:
    return customers_search(caller=caller, kind=kind, value=value)


def test_update_changes_only_the_given_fields(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    [before] = raw_rows("customers_customer")
    customer_update(caller=actor_of(agent), customer=customer, values={"phones": ["555 987 6543"]})
    [after] = raw_rows("customers_customer")
    changed = {column for column in before if before[column] != after[column]}
    assert changed == {"phones_enc", "updated_at"}
    assert CustomerCipher(Customer.objects.get(pk=customer.pk)).decrypt("phones") == [
        "+15559876543"
    ]


def test_update_rebuilds_the_lookups_of_changed_fields(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    email_lookups = set(customer.lookups.filter(kind="email").values_list("digest", flat=True))
    customer_update(caller=actor_of(agent), customer=customer, values={"phones": ["555 987 6543"]})
    everyone = key_caller(make_integrator())  # a key with customers:read sees every customer
    assert search(everyone, LookupKind.PHONE, "+1 555 123 4567") == []
    assert search(everyone, LookupKind.PHONE, "+44 20 7946 0321") == []
    assert search(everyone, LookupKind.PHONE, "(555) 987-6543") == [customer]
    assert (
        set(customer.lookups.filter(kind="email").values_list("digest", flat=True)) == email_lookups
    )
    assert customer.lookups.count() == 4


def test_update_clearing_a_field_removes_its_lookups(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    customer_update(caller=actor_of(agent), customer=customer, values={"account_number": ""})
    assert not customer.lookups.filter(kind="account_number").exists()
    assert Customer.objects.get(pk=customer.pk).account_number_enc == ""


def test_update_is_audited_with_field_names_only(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    customer_update(
        caller=actor_of(agent),
        customer=customer,
        values={"phones": ["555 987 6543"], "name": "Ximena Z Quetzalcoatl"},
    )
    event = AuditEvent.objects.get(action="customer.updated")
    assert event.actor_id == str(agent.pk)
    assert event.target_id == str(customer.pk)
    assert event.details == {"fields": ["name", "phones"]}


def test_update_with_bad_input_changes_nothing(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    [before] = raw_rows("customers_customer")
    lookups = set(CustomerLookup.objects.values_list("kind", "digest"))
    audit_count = AuditEvent.objects.count()
    for values in ({"phones": ["nope"]}, {"nickname": "X"}, {}):
        with pytest.raises(ServiceError):
            customer_update(caller=actor_of(agent), customer=customer, values=values)
    assert raw_rows("customers_customer") == [before]
    assert set(CustomerLookup.objects.values_list("kind", "digest")) == lookups
    assert AuditEvent.objects.count() == audit_count


# --- customers_search -----------------------------------------------------------------------


@override_settings(PHONE_DEFAULT_REGION="US")
@pytest.mark.parametrize(
    "typed", ["+1 555 123 4567", "(555) 123-4567", "5551234567", "555.123.4567", "+15551234567"]
)
def test_search_finds_a_phone_typed_in_any_format(team_a: Team, agent: User, typed: str) -> None:
    customer = create(team_a)
    create(team_a, phones=["+1 555 000 1111"], emails=[], account_number="")
    assert search(actor_of(agent), LookupKind.PHONE, typed) == [customer]


@pytest.mark.parametrize(
    "typed", ["ximena.q@example.com", "XIMENA.Q@EXAMPLE.COM", " Ximena.Q@example.com "]
)
def test_search_finds_an_email_whatever_its_case(team_a: Team, agent: User, typed: str) -> None:
    customer = create(team_a)
    assert search(actor_of(agent), LookupKind.EMAIL, typed) == [customer]


@pytest.mark.parametrize("typed", ["440322155678", "4403 2215 5678", "ACC-4403-2215-5678"])
def test_search_finds_an_account_number_with_any_separators(
    team_a: Team, agent: User, typed: str
) -> None:
    customer = create(team_a)
    assert search(actor_of(agent), LookupKind.ACCOUNT_NUMBER, typed) == [customer]


def test_search_returns_only_customers_the_caller_may_see(
    team_a: Team, team_b: Team, agent: User, other_agent: User
) -> None:
    mine = create(team_a)
    theirs = create(team_b)
    assert search(actor_of(agent), LookupKind.PHONE, "5551234567") == [mine]
    assert search(actor_of(other_agent), LookupKind.PHONE, "5551234567") == [theirs]


def test_search_for_an_unknown_value_finds_nothing(team_a: Team, agent: User) -> None:
    create(team_a)
    assert search(actor_of(agent), LookupKind.EMAIL, "nobody@example.com") == []
    event = AuditEvent.objects.filter(action="customer.searched").get()
    assert event.details["results"] == 0


def test_search_is_one_indexed_query_and_never_decrypts(
    team_a: Team, agent: User, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    customer = create(team_a)
    for number in range(3):
        create(team_a, phones=[f"+1 555 010 000{number}"], emails=[], account_number="")
    caller = actor_of(agent)
    # Who the caller is (permissions, teams) is loaded once per request, before any search.
    assert can_view_customers(caller)
    assert caller.team_ids == {team_a.pk}
    decrypted: list[str] = []
    real_decrypt = CustomerCipher.decrypt
    real_open = CustomerCipher.open

    def counting_decrypt(self: CustomerCipher, field: str) -> object:
        decrypted.append(field)
        return real_decrypt(self, field)

    def counting_open(self: CustomerCipher, table: str, column: str, row: object, s: str) -> str:
        decrypted.append(column)
        return real_open(self, table, column, row, s)

    monkeypatch.setattr(CustomerCipher, "decrypt", counting_decrypt)
    monkeypatch.setattr(CustomerCipher, "open", counting_open)
    # A savepoint per atomic block may be counted too; the statements are checked below.
    with django_assert_max_num_queries(6) as captured:
        found = customers_search(caller=caller, kind=LookupKind.PHONE, value="5551234567")
    assert found == [customer]
    assert decrypted == []
    statements = [
        query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]
    ]
    # The audit append is one statement: a call of audit_append (PostgreSQL), an INSERT (SQLite).
    audit = [sql for sql in statements if "audit_" in sql]
    search = [sql for sql in statements if "audit_" not in sql]
    assert len(search) == 1, statements
    (select,) = search
    assert select.startswith("SELECT")
    assert "customers_customerlookup" in select
    assert '"digest" IN' in select
    assert '"kind" =' in select
    assert "5551234567" not in select
    # Each row carries its wrapped data key (needed to show the record, even masked): no
    # key table joined in, whose planning once cost more than the lookup itself.
    assert '"customers_customer"."data_key_wrapped"' in select
    joined = set(re.findall(r'JOIN "(\w+)"', select))
    scope = {"accounts_user_teams", "customers_customer_assigned_to"}  # the agent's scope
    assert joined <= {"customers_customerlookup", "accounts_team", *scope}, joined
    assert audit, "the search was not audited"
    assert all("5551234567" not in sql for sql in audit)
    # The lookup table has an index on exactly the columns the search filters on.
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "customers_customerlookup")
    assert indexes["customers_lookup_digest"]["columns"] == ["kind", "digest"]


def test_search_audit_records_kind_and_count_never_the_value(team_a: Team, agent: User) -> None:
    customer = create(team_a)
    search(actor_of(agent), LookupKind.EMAIL, "Ximena.Q@Example.com")
    event = AuditEvent.objects.get(action="customer.searched")
    assert event.actor_id == str(agent.pk)
    assert event.details == {"kind": "email", "results": 1, "customers": [str(customer.pk)]}
    [row] = [row for row in raw_rows("audit_auditevent") if row["action"] == "customer.searched"]
    assert plaintext_in([as_text(value) for value in row.values()]) == []


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [("phone", "call me maybe", "value"), ("email", "no-at-sign", "value"), ("ssn", "1", "kind")],
)
def test_search_with_bad_input_gives_a_field_error_and_no_audit(
    team_a: Team, agent: User, kind: str, value: str, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        customers_search(caller=actor_of(agent), kind=kind, value=value)
    assert field in refused.value.fields
    assert not AuditEvent.objects.filter(action="customer.searched").exists()
