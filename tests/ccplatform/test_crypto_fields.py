"""Field encryption (AES-256-GCM, bound to table, column and row) and wrapped data keys.

Property tests: any text round-trips; a wrong key, any flipped byte, or a value moved to
another row or column fails with DecryptionError, never with other text.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accounts.models import Team
from ccplatform.callers import Caller
from ccplatform.crypto.data_keys import data_key_rewrap, data_key_unwrap
from ccplatform.crypto.fields import (
    FORMAT,
    binding,
    decrypt_value,
    encrypt_value,
    key_id_of,
)
from ccplatform.crypto.keyring import KeyRing
from ccplatform.crypto.providers import (
    NONCE_BYTES,
    DecryptionError,
    LocalKeyProvider,
    WrappedKey,
)
from customers.crypto import CUSTOMER_TABLE, CustomerCipher
from customers.models import Customer
from customers.services.records import customer_create

keys = st.binary(min_size=32, max_size=32)
# Key ids are data key UUIDs in practice; any text without the separator must work.
key_ids = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="."), min_size=1)
tables = st.sampled_from(["customers_customer", "customers_note", "customers_interaction"])
columns = st.sampled_from(["name", "phones", "emails", "body", "summary", "medical_notes"])
row_ids = st.uuids()


def _flip(stored: str, index: int, mask: int) -> str:
    """`stored` with one byte of its sealed payload (nonce, ciphertext or tag) changed."""
    head, key_id, payload = stored.split(".", 2)
    raw = bytearray(base64.b64decode(payload))
    raw[index % len(raw)] ^= mask
    return f"{head}.{key_id}.{base64.b64encode(bytes(raw)).decode()}"


# --- One value ----------------------------------------------------------------------------


@given(key=keys, key_id=key_ids, text=st.text(), table=tables, column=columns, row=row_ids)
def test_any_text_round_trips(
    key: bytes, key_id: str, text: str, table: str, column: str, row: uuid.UUID
) -> None:
    aad = binding(table, column, row)
    stored = encrypt_value(key, key_id, text, aad=aad)
    assert decrypt_value(key, stored, aad=aad) == text


# At least 8 characters: a shorter text can turn up inside any base64 by chance.
@given(key=keys, text=st.text(min_size=8))
def test_the_stored_form_names_format_and_key_and_hides_the_text(key: bytes, text: str) -> None:
    key_id = str(uuid.uuid4())
    stored = encrypt_value(key, key_id, text, aad=b"t|c|1")
    assert stored.startswith(f"{FORMAT}.{key_id}.")
    assert key_id_of(stored) == key_id
    assert text not in stored.split(".", 2)[2]


@given(key=keys, text=st.text())
def test_encrypting_twice_gives_different_ciphertexts(key: bytes, text: str) -> None:
    # A fresh nonce each time: equal values cannot be spotted in a dump.
    first = encrypt_value(key, "k", text, aad=b"a")
    second = encrypt_value(key, "k", text, aad=b"a")
    assert first != second


@given(key=keys, other=keys, text=st.text())
def test_a_wrong_key_fails_loudly(key: bytes, other: bytes, text: str) -> None:
    assume(key != other)
    stored = encrypt_value(key, "k", text, aad=b"a")
    with pytest.raises(DecryptionError):
        decrypt_value(other, stored, aad=b"a")


@given(
    key=keys,
    text=st.text(),
    index=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_flipped_byte_of_the_payload_fails_loudly(
    key: bytes, text: str, index: int, mask: int
) -> None:
    stored = encrypt_value(key, "k", text, aad=b"a")
    with pytest.raises(DecryptionError):
        decrypt_value(key, _flip(stored, index, mask), aad=b"a")


@given(key=keys, text=st.text(), cut=st.integers(min_value=1, max_value=NONCE_BYTES + 17))
def test_a_truncated_payload_fails_loudly(key: bytes, text: str, cut: int) -> None:
    stored = encrypt_value(key, "k", text, aad=b"a")
    head, key_id, payload = stored.split(".", 2)
    raw = base64.b64decode(payload)
    shortened = base64.b64encode(raw[: max(0, len(raw) - cut)]).decode()
    with pytest.raises(DecryptionError):
        decrypt_value(key, f"{head}.{key_id}.{shortened}", aad=b"a")


@given(
    key=keys,
    text=st.text(),
    table=tables,
    column=columns,
    row=row_ids,
    other_column=columns,
    other_row=row_ids,
)
def test_a_value_moved_to_another_row_or_column_fails_loudly(
    key: bytes,
    text: str,
    table: str,
    column: str,
    row: uuid.UUID,
    other_column: str,
    other_row: uuid.UUID,
) -> None:
    assume((column, row) != (other_column, other_row))
    stored = encrypt_value(key, "k", text, aad=binding(table, column, row))
    with pytest.raises(DecryptionError):
        decrypt_value(key, stored, aad=binding(table, other_column, other_row))


@given(key=keys, text=st.text(), row=row_ids)
def test_a_value_moved_to_another_table_fails_loudly(key: bytes, text: str, row: uuid.UUID) -> None:
    stored = encrypt_value(key, "k", text, aad=binding("customers_note", "body", row))
    with pytest.raises(DecryptionError):
        decrypt_value(key, stored, aad=binding("customers_interaction", "body", row))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text someone stored unencrypted",
        "e1.only-two-parts",
        "e2.key.AAAA",  # a format this version does not know
        "E1.key.AAAA",
        ".key.AAAA",
    ],
)
def test_a_value_not_in_the_known_format_is_refused_by_name(stored: str) -> None:
    with pytest.raises(DecryptionError, match="not in a known encrypted format"):
        key_id_of(stored)
    with pytest.raises(DecryptionError):
        decrypt_value(b"k" * 32, stored, aad=b"a")


@pytest.mark.parametrize("payload", ["", "not base64!", "AAAA", "=" * 8])
def test_a_malformed_payload_fails_its_integrity_check(payload: str) -> None:
    with pytest.raises(DecryptionError, match="failed its integrity check"):
        decrypt_value(b"k" * 32, f"{FORMAT}.key.{payload}", aad=b"a")


# --- Wrapped data keys --------------------------------------------------------------------

RING = KeyRing(keys={"1": b"1" * 32, "2": b"2" * 32}, active="2")
subjects = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=100)


@given(data_key=keys, subject=subjects)
def test_a_wrapped_data_key_unwraps_for_its_own_subject(data_key: bytes, subject: str) -> None:
    provider = LocalKeyProvider(RING)
    wrapped = provider.wrap(data_key, context=subject)
    assert wrapped.kek_version == "2"
    assert provider.unwrap(wrapped, context=subject) == data_key


@given(data_key=keys, subject=subjects, other=subjects)
def test_a_wrapped_data_key_is_bound_to_its_subject(
    data_key: bytes, subject: str, other: str
) -> None:
    assume(subject != other)
    provider = LocalKeyProvider(RING)
    wrapped = provider.wrap(data_key, context=subject)
    with pytest.raises(DecryptionError, match="failed its integrity check"):
        provider.unwrap(wrapped, context=other)


@given(data_key=keys, subject=subjects)
def test_a_wrapped_data_key_under_the_wrong_or_an_unknown_kek_version_fails(
    data_key: bytes, subject: str
) -> None:
    provider = LocalKeyProvider(RING)
    wrapped = provider.wrap(data_key, context=subject)
    for version in ("1", "7"):
        with pytest.raises(DecryptionError):
            provider.unwrap(WrappedKey(kek_version=version, blob=wrapped.blob), context=subject)


@given(
    data_key=keys,
    index=st.integers(min_value=0),
    mask=st.integers(min_value=1, max_value=255),
)
def test_a_tampered_wrapped_data_key_fails(data_key: bytes, index: int, mask: int) -> None:
    provider = LocalKeyProvider(RING)
    wrapped = provider.wrap(data_key, context="s")
    raw = bytearray(base64.b64decode(wrapped.blob))
    raw[index % len(raw)] ^= mask
    tampered = WrappedKey(kek_version="2", blob=base64.b64encode(bytes(raw)).decode())
    with pytest.raises(DecryptionError):
        provider.unwrap(tampered, context="s")


def _subject(team: Team, name: str) -> Customer:
    """A holder of a data key (the customer row that carries it), as stored."""
    created = customer_create(caller=Caller.system("test"), team_id=team.pk, values={"name": name})
    return Customer.objects.get(pk=created.pk)


@pytest.mark.django_db
def test_a_wrapped_data_key_copied_to_another_subject_does_not_unwrap(team_a: Team) -> None:
    first, second = _subject(team_a, "First"), _subject(team_a, "Second")
    Customer.objects.filter(pk=second.pk).update(data_key_wrapped=first.data_key_wrapped)
    second.refresh_from_db()
    with pytest.raises(DecryptionError, match=rf"customers\.customer:{second.pk}"):
        data_key_unwrap(second)


@pytest.mark.django_db
def test_rewrap_is_a_no_op_for_a_key_already_on_the_active_version(team_a: Team) -> None:
    subject = _subject(team_a, "Current")
    plain, wrapped = data_key_unwrap(subject), subject.data_key_wrapped
    assert data_key_rewrap(subject) is False
    subject.refresh_from_db()
    assert subject.data_key_rewrapped_at is None
    assert subject.data_key_wrapped == wrapped
    assert data_key_unwrap(subject) == plain


# --- Through the customer record (database) -----------------------------------------------

# NUL included on purpose, although PostgreSQL text cannot hold it: only ciphertext (base64)
# reaches the database, so any text a person can type must round-trip.
_names = st.text(
    alphabet=st.characters(codec="utf-8"),
    min_size=1,
    max_size=200,
).filter(lambda name: name.strip() != "")


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_names, address=_names)
def test_customer_values_round_trip_through_the_database(
    team_a: Team, name: str, address: str
) -> None:
    customer = customer_create(
        caller=Caller.system("test"),
        team_id=team_a.pk,
        values={"name": name, "addresses": [address]},
    )
    stored = Customer.objects.get(pk=customer.pk)
    assert len(name) < 8 or name not in stored.name_enc.split(".", 2)[2]
    cipher = CustomerCipher(stored)
    assert cipher.decrypt("name") == name
    assert cipher.decrypt("addresses") == [address]


@pytest.fixture
def two_customers(team_a: Team) -> tuple[Customer, Customer]:
    values: dict[str, Any] = {"name": "Ada Example", "phones": ["+1 555 010 2000"]}
    first = customer_create(caller=Caller.system("test"), team_id=team_a.pk, values=values)
    second = customer_create(
        caller=Caller.system("test"), team_id=team_a.pk, values={**values, "name": "Bo Example"}
    )
    return first, second


@pytest.mark.django_db
def test_a_value_pasted_into_another_customer_fails_to_decrypt(
    two_customers: tuple[Customer, Customer],
) -> None:
    first, second = two_customers
    Customer.objects.filter(pk=second.pk).update(name_enc=first.name_enc)
    pasted = Customer.objects.get(pk=second.pk)
    with pytest.raises(DecryptionError, match="names another data key"):
        CustomerCipher(pasted).decrypt("name")


@pytest.mark.django_db
def test_a_value_pasted_into_another_column_of_the_same_customer_fails_to_decrypt(
    two_customers: tuple[Customer, Customer],
) -> None:
    first, _ = two_customers
    Customer.objects.filter(pk=first.pk).update(phones_enc=first.name_enc)
    pasted = Customer.objects.get(pk=first.pk)
    assert CustomerCipher(pasted).decrypt("name") == "Ada Example"
    with pytest.raises(DecryptionError, match="failed its integrity check"):
        CustomerCipher(pasted).decrypt("phones")


@pytest.mark.django_db
def test_a_value_sealed_with_another_customers_key_under_this_id_fails(
    two_customers: tuple[Customer, Customer],
) -> None:
    # Even if the key id is rewritten to match, the other customer's key does not open it.
    first, second = two_customers
    cipher = CustomerCipher(Customer.objects.get(pk=first.pk))
    forged = cipher.seal(CUSTOMER_TABLE, "name", second.pk, "Mallory")
    forged = f"{FORMAT}.{second.data_key_id}.{forged.split('.', 2)[2]}"
    Customer.objects.filter(pk=second.pk).update(name_enc=forged)
    target = Customer.objects.get(pk=second.pk)
    with pytest.raises(DecryptionError, match="failed its integrity check"):
        CustomerCipher(target).decrypt("name")
