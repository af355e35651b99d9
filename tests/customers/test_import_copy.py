"""COPY (PostgreSQL) stores exactly what bulk_create stores; elsewhere bulk_create is used."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, models

from accounts.models import Team
from customers.crypto import CustomerCipher
from customers.models import Customer, CustomerLookup
from customers.services.copying import copy_rows, copy_supported, insert_many
from customers.services.records import customer_build

pytestmark = pytest.mark.django_db

VALUES: dict[str, Any] = {
    "name": "Ada Lovelace",
    "phones": ["+1 202 555 0101", "+1 202 555 0102"],
    "emails": ["ada@example.com"],
    "account_number": "1234-5678-90",
    "date_of_birth": dt.date(1985, 12, 10),
    "addresses": ["12 Main St, Springfield"],
    "medical_notes": "",
}
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is used on PostgreSQL only"
)


def _stored(model: type[models.Model], **where: object) -> list[tuple[object, ...]]:
    columns = [item.attname for item in model._meta.concrete_fields]
    return list(model._default_manager.filter(**where).order_by("pk").values_list(*columns))


def _stored_without_ids(lookups: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(row[1:] for row in lookups)  # the sequence numbers the ids


def _built(team: Team) -> list[tuple[Customer, list[CustomerLookup]]]:
    return [customer_build(team=team, values=VALUES) for _ in range(3)]


@postgres_only
def test_copy_stores_what_bulk_create_stores() -> None:
    team = Team.objects.create(name="Copy team")
    built = _built(team)
    customers = [customer for customer, _ in built]
    lookups = [lookup for _, items in built for lookup in items]
    # Not a ciphertext (those are base64): every character COPY text has to escape.
    customers[0].medical_notes_enc = "tab\there \\ back\nslash\r \\N"

    copy_rows(Customer, customers)
    copy_rows(CustomerLookup, lookups)
    by_copy = _stored(Customer, team=team), _stored(CustomerLookup, customer__team=team)
    Customer.objects.filter(team=team).delete()

    Customer.objects.bulk_create(customers)
    CustomerLookup.objects.bulk_create(lookups)
    by_bulk_create = _stored(Customer, team=team), _stored(CustomerLookup, customer__team=team)

    assert by_copy[0] == by_bulk_create[0]
    escaped = Customer.objects.get(pk=customers[0].pk).medical_notes_enc
    assert escaped == customers[0].medical_notes_enc
    assert len(by_copy[1]) == len(lookups) == 3 * 4
    assert _stored_without_ids(by_copy[1]) == _stored_without_ids(by_bulk_create[1])


@postgres_only
def test_copied_values_decrypt_to_what_was_given() -> None:
    team = Team.objects.create(name="Copy team")
    customer, lookups = _built(team)[0]
    copy_rows(Customer, [customer])
    copy_rows(CustomerLookup, lookups)

    stored = Customer.objects.get(pk=customer.pk)
    cipher = CustomerCipher(stored)
    assert cipher.decrypt("name") == VALUES["name"]
    assert cipher.decrypt("date_of_birth") == VALUES["date_of_birth"]
    assert cipher.decrypt("medical_notes") == ""
    assert stored.created_at == customer.created_at
    assert stored.data_key_rewrapped_at is None
    assert set(stored.lookups.values_list("kind", flat=True)) == {
        "phone",
        "email",
        "account_number",
    }


def test_copy_is_used_on_postgresql_only() -> None:
    assert copy_supported() == (connection.vendor == "postgresql")


def test_insert_many_saves_on_any_database() -> None:
    team = Team.objects.create(name="Copy team")
    customer, lookups = _built(team)[0]
    insert_many(Customer, [customer])
    insert_many(CustomerLookup, lookups)
    assert CustomerCipher(Customer.objects.get(pk=customer.pk)).decrypt("name") == VALUES["name"]
    assert CustomerLookup.objects.filter(customer_id=customer.pk).count() == 4


@postgres_only
def test_copy_refuses_a_value_it_cannot_convert() -> None:
    team = Team.objects.create(name="Copy team")
    customer, _ = _built(team)[0]
    customer.name_enc = 3.5  # type: ignore[assignment]
    with pytest.raises(TypeError):
        copy_rows(Customer, [customer])
