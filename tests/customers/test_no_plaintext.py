"""Data at rest: no personal value readable anywhere, no ciphertext movable, keys shreddable."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import zlib
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from accounts.models import Team, User
from ccplatform.callers import Caller
from ccplatform.crypto.fields import binding, decrypt_value
from ccplatform.crypto.providers import DecryptionError
from customers.crypto import CUSTOMER_TABLE, CustomerCipher
from customers.models import Customer, CustomerLookup, Note
from customers.selectors import customer_history, customer_masked
from customers.services.notes import customer_interaction_add, customer_note_add
from customers.services.records import (
    customer_create,
    customer_reveal,
    customer_update,
    customer_viewed,
)
from customers.services.search import customers_search
from tests.personas import as_caller

pytestmark = pytest.mark.django_db

PEOPLE: list[dict[str, Any]] = [
    {
        "name": "Wilhelmina Zauberflote",
        "date_of_birth": dt.date(1961, 11, 23),
        "addresses": ["404 Obsidian Parade, Tacoma"],
        "phones": ["+1 555 201 7788"],
        "emails": ["wilhelmina.z@example.net"],
        "account_number": "7719-2048-3301",
        "card_token": "tok_wz_quagga",
        "card_last4": "4242",
        "medical_notes": "Hereditary angioedema, carries icatibant",
    },
    {
        "name": "Bartholomew Okonkwo-Thistlewood",
        "phones": ["+44 20 7946 0958", "+1 555 301 6612"],
        "emails": ["b.thistlewood@example.org"],
        "account_number": "5500-6611-9922",
    },
]
NOTE = "Asked about the Periwinkle Gazebo promotion; card 4111 1111 1111 1111 cvv 737"
SUMMARY = "Rescheduled the Tangerine Viaduct visit"
CARD_NUMBERS = ("4111111111111111", "4111 1111 1111 1111")
NEEDLES = (
    "Wilhelmina",
    "Zauberflote",
    "1961-11-23",
    "Obsidian",
    "5552017788",
    "wilhelmina.z",
    "771920483301",
    "7719-2048",
    "tok_wz_quagga",
    "angioedema",
    "icatibant",
    "Bartholomew",
    "Thistlewood",
    "2079460958",
    "5553016612",
    "550066119922",
    "Periwinkle",
    "Gazebo",
    "Tangerine",
    "Viaduct",
    *CARD_NUMBERS,
)


def as_text(value: object) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def found_in(text: str) -> list[str]:
    folded = text.casefold()
    return [needle for needle in NEEDLES if needle.casefold() in folded]


def every_cell() -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-empty cell of every table, read without the ORM."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                cells += [
                    (table, column, as_text(value))
                    for column, value in zip(columns, row, strict=True)
                    if value not in (None, "", b"")
                ]
    return cells


def cached_blobs() -> list[bytes]:
    """Every entry of the default cache, key and value, as stored."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client()
        return [
            key + b"=" + (client.get(key) or b"")
            for key in client.scan_iter(match=f"{cache.key_prefix}:*")
        ]
    if isinstance(cache, FileBasedCache):
        blobs = []
        for path in cache._list_cache_files():  # type: ignore[attr-defined]
            with open(path, "rb") as handle:
                pickle.load(handle)  # noqa: S301 - the expiry, written by our own cache
                blobs.append(zlib.decompress(handle.read()))
        return blobs
    raise AssertionError(f"cannot read a {type(cache).__name__}")


def a_working_day(team: Team, agent: User, supervisor: User) -> list[Customer]:
    """Every service that touches customer data, with the values above."""
    system, acting = Caller.system("import"), as_caller(agent)
    people = [customer_create(caller=system, team_id=team.pk, values=values) for values in PEOPLE]
    first = people[0]
    customer_update(caller=acting, customer=first, values={"addresses": PEOPLE[0]["addresses"]})
    customer_note_add(caller=acting, customer=first, body=NOTE)
    customer_interaction_add(
        caller=acting, customer=first, channel="call", outcome="resolved", summary=SUMMARY
    )
    for kind, value in (("phone", "(555) 201-7788"), ("email", "Wilhelmina.Z@example.net")):
        assert customers_search(caller=acting, kind=kind, value=value) == [first]
    customer_viewed(caller=acting, customer=first)
    customer_masked(acting, first)
    customer_history(acting, first)
    customer_reveal(
        caller=as_caller(supervisor),
        customer=first,
        fields=["name", "phones", "medical_notes"],
        reason="care plan review",
    )
    return people


def test_no_personal_value_is_readable_in_any_column_of_any_table(
    team_a: Team, agent: User, supervisor: User
) -> None:
    a_working_day(team_a, agent, supervisor)
    cells = every_cell()
    tables = {table for table, _, _ in cells}
    assert {"customers_customer", "customers_note", "audit_auditevent"} <= tables
    leaks = [(table, column, found_in(text)) for table, column, text in cells if found_in(text)]
    assert leaks == []
    encrypted = [text for _, column, text in cells if column.endswith("_enc")]
    assert len(encrypted) >= 12
    assert all(text.startswith("e1.") for text in encrypted)


def test_the_scan_finds_a_value_left_in_plain_text(team_a: Team) -> None:
    Team.objects.create(name="Periwinkle desk")
    assert ("accounts_team", "name", ["Periwinkle"]) in [
        (table, column, found_in(text)) for table, column, text in every_cell()
    ]


def test_no_personal_value_is_readable_in_the_cache(
    team_a: Team, agent: User, supervisor: User
) -> None:
    a_working_day(team_a, agent, supervisor)
    blobs = cached_blobs()
    assert blobs, "the reveal allowance should have left a counter in the cache"
    assert [
        found_in(blob.decode("latin-1")) for blob in blobs if found_in(blob.decode("latin-1"))
    ] == []


def test_a_full_card_number_in_a_note_is_stored_masked(
    team_a: Team, agent: User, supervisor: User
) -> None:
    [first, _] = a_working_day(team_a, agent, supervisor)
    [note] = customer_history(as_caller(agent), first)["notes"]
    assert "•••• 1111" in note["body"]
    assert not any(card in note["body"] for card in CARD_NUMBERS)
    assert "737" not in note["body"]


# --- Ciphertext bound to its place ----------------------------------------------------------


@pytest.fixture
def pair(team_a: Team) -> tuple[Customer, Customer]:
    system = Caller.system("import")
    return (
        customer_create(caller=system, team_id=team_a.pk, values=PEOPLE[0]),
        customer_create(caller=system, team_id=team_a.pk, values=PEOPLE[1]),
    )


def reread(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def test_a_value_copied_into_another_customer_fails_to_decrypt(
    pair: tuple[Customer, Customer], agent: User
) -> None:
    first, second = pair
    Customer.objects.filter(pk=second.pk).update(name_enc=first.name_enc)
    with pytest.raises(DecryptionError):
        CustomerCipher(reread(second)).decrypt("name")
    with pytest.raises(DecryptionError):
        customer_masked(as_caller(agent), reread(second))


def test_a_copied_value_relabelled_with_the_other_key_still_fails(
    pair: tuple[Customer, Customer],
) -> None:
    first, second = pair
    forged = first.name_enc.replace(str(first.data_key_id), str(second.data_key_id))
    Customer.objects.filter(pk=second.pk).update(name_enc=forged)
    with pytest.raises(DecryptionError):
        CustomerCipher(reread(second)).decrypt("name")


def test_a_value_moved_to_another_column_of_the_same_row_fails(
    pair: tuple[Customer, Customer],
) -> None:
    first, _ = pair
    Customer.objects.filter(pk=first.pk).update(account_number_enc=first.name_enc)
    cipher = CustomerCipher(reread(first))
    assert cipher.decrypt("name") == PEOPLE[0]["name"]
    with pytest.raises(DecryptionError):
        cipher.decrypt("account_number")


def test_a_note_moved_to_another_note_of_the_same_customer_fails(
    pair: tuple[Customer, Customer], agent: User
) -> None:
    first, _ = pair
    caller = as_caller(agent)
    one = customer_note_add(caller=caller, customer=first, body="first note")
    two = customer_note_add(caller=caller, customer=first, body="second note")
    Note.objects.filter(pk=two.pk).update(body_enc=one.body_enc)
    with pytest.raises(DecryptionError):
        customer_history(caller, reread(first))


@pytest.mark.parametrize(
    "stored",
    ["Wilhelmina Zauberflote", "e1.not-a-key.AAAA", "e2.{key}.{payload}", "e1.{key}.{flipped}"],
)
def test_plaintext_or_tampered_values_fail_loudly(
    pair: tuple[Customer, Customer], stored: str
) -> None:
    first, _ = pair
    _, key, payload = first.name_enc.split(".", 2)
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    value = stored.format(key=key, payload=payload, flipped=flipped)
    Customer.objects.filter(pk=first.pk).update(name_enc=value)
    with pytest.raises(DecryptionError):
        CustomerCipher(reread(first)).decrypt("name")


def test_a_data_key_moved_to_another_customer_does_not_unwrap(
    pair: tuple[Customer, Customer],
) -> None:
    first, second = pair
    Customer.objects.filter(pk=second.pk).update(
        data_key_wrapped=first.data_key_wrapped, data_key_kek_version=first.data_key_kek_version
    )
    with pytest.raises(DecryptionError):
        CustomerCipher(reread(second)).decrypt("name")
    assert CustomerCipher(reread(first)).decrypt("name") == PEOPLE[0]["name"]


# --- Crypto-shredding -----------------------------------------------------------------------


def test_without_its_data_key_a_customers_values_cannot_be_read(
    pair: tuple[Customer, Customer],
) -> None:
    first, second = pair
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET data_key_wrapped = '' WHERE id = %s", [first.pk.hex]
        )
    with pytest.raises(DecryptionError):
        CustomerCipher(Customer.objects.get(pk=first.pk)).decrypt("name")
    assert CustomerCipher(reread(second)).decrypt("name") == PEOPLE[1]["name"]


def test_shredded_values_do_not_open_with_any_remaining_key(
    pair: tuple[Customer, Customer],
) -> None:
    first, second = pair
    stored = first.name_enc
    first.delete()  # its row held its only data key
    assert not CustomerLookup.objects.filter(customer_id=first.pk).exists()
    survivors = list(Customer.objects.all())
    assert [customer.pk for customer in survivors] == [second.pk]
    for customer in survivors:
        key = CustomerCipher(customer).key
        with pytest.raises(DecryptionError):
            decrypt_value(key, stored, aad=binding(CUSTOMER_TABLE, "name", first.pk))
