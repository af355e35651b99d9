"""Migration customers 0003: each customer's wrapped data key moves from the key table onto
the customer's row, keeping its id (named by every stored value) and its wrapping; and back."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.utils import timezone

from ccplatform.crypto.fields import binding, encrypt_value
from ccplatform.crypto.providers import key_provider
from customers.crypto import CUSTOMER_TABLE, CustomerCipher
from customers.models import Customer
from tests.migration_states import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("ccplatform", "0001_create_data_key"),
    ("customers", "0002_interaction_scanned_version"),
]
AFTER = [
    ("ccplatform", "0002_delete_data_key"),
    ("customers", "0003_data_key_on_customer_row"),
]
REWRAPPED_AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def before() -> Iterator[Apps]:
    """The schema before the move; the latest one again afterwards, for the other tests."""
    try:
        yield migrate(BEFORE)
    finally:
        migrate_to_latest()


def historical(apps: Apps, label: str) -> Any:
    """A model as it was at that migration (not the current class the type checker knows)."""
    return apps.get_model(label)


def old_customer(apps: Apps, team: Any, name: str, *, rewrapped: bool) -> tuple[uuid.UUID, Any]:
    """A customer as the old code stored it: its data key in a row of the key table."""
    key_model = historical(apps, "ccplatform.DataKey")
    customer_model = historical(apps, "customers.Customer")
    customer_id, plain = uuid.uuid4(), os.urandom(32)
    subject = f"customers.customer:{customer_id}"
    wrapped = key_provider().wrap(plain, context=subject)
    key = key_model.objects.create(
        subject=subject,
        kek_version=wrapped.kek_version,
        wrapped=wrapped.blob,
        rewrapped_at=REWRAPPED_AT if rewrapped else None,
    )
    aad = binding(CUSTOMER_TABLE, "name", customer_id)
    customer_model.objects.create(
        id=customer_id,
        team=team,
        data_key=key,
        name_enc=encrypt_value(plain, str(key.pk), name, aad=aad),
        created_at=timezone.now(),
    )
    return customer_id, key


def test_keys_move_onto_customer_rows_and_back_without_changing(before: Apps) -> None:
    team = historical(before, "accounts.Team").objects.create(name="Migration team")
    first_id, first_key = old_customer(before, team, "Ada Lovelace", rewrapped=False)
    second_id, second_key = old_customer(before, team, "Grace Hopper", rewrapped=True)

    migrate(AFTER)
    migrate_to_latest()  # the current model reads the rows (later migrations add columns)

    for customer_id, key, name in (
        (first_id, first_key, "Ada Lovelace"),
        (second_id, second_key, "Grace Hopper"),
    ):
        customer = Customer.objects.get(pk=customer_id)
        assert customer.data_key_id == key.pk
        assert customer.data_key_kek_version == key.kek_version
        assert customer.data_key_wrapped == key.wrapped
        assert customer.data_key_rewrapped_at == key.rewrapped_at
        assert CustomerCipher(customer).decrypt("name") == name
    assert "ccplatform_datakey" not in connection.introspection.table_names()

    restored = migrate(BEFORE)

    keys = historical(restored, "ccplatform.DataKey").objects
    for customer_id, key in ((first_id, first_key), (second_id, second_key)):
        again = keys.get(pk=key.pk)
        assert again.subject == f"customers.customer:{customer_id}"
        assert (again.kek_version, again.wrapped, again.rewrapped_at) == (
            key.kek_version,
            key.wrapped,
            key.rewrapped_at,
        )
        old = historical(restored, "customers.Customer").objects.get(pk=customer_id)
        assert old.data_key_id == key.pk
