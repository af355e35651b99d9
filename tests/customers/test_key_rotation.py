"""Key rotation: data keys re-wrapped and lookups recomputed in audited, resumable batches.

Customers are created under the test settings' field-encryption key version 1; each test then
makes version 2 (or a second blind-index key) active, as a deployment does after adding it,
and runs `manage.py rotate_keys` (or its Celery task) for real against the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.crypto.blind_index import LookupKind
from ccplatform.crypto.keyring import KeyRing
from ccplatform.crypto.providers import key_provider
from ccplatform.crypto.rotation import Kind, RunResult, rotation_job, rotation_run
from ccplatform.errors import AccessDeniedError
from ccplatform.tasks import rotate_keys
from customers.crypto import CustomerCipher
from customers.models import Customer, CustomerLookup
from customers.services.records import customer_create
from customers.services.rotation import local_key_version_add
from customers.services.search import customers_search
from tests.personas import SETUP, as_caller

pytestmark = pytest.mark.django_db

CUSTOMERS = 5
SECOND_BLIND_KEY = b"second-blind-index-key-32-bytes!"


def _values(number: int) -> dict[str, Any]:
    return {
        "name": f"Rotation Person {number}",
        "phones": [f"+1 555 010 {1000 + number}"],
        "emails": [f"Person.{number}@Example.org"],
        "account_number": f"7700 {1000 + number}",
    }


@pytest.fixture
def customers(team_a: Team) -> list[Customer]:
    return [
        customer_create(caller=SETUP, team_id=team_a.pk, values=_values(number))
        for number in range(CUSTOMERS)
    ]


@contextmanager
def field_key_active(version: str) -> Iterator[None]:
    """The field-encryption key ring with `version` active (the provider is rebuilt)."""
    ring: KeyRing = settings.FIELD_ENCRYPTION_KEYRING
    key_provider.cache_clear()
    try:
        with override_settings(FIELD_ENCRYPTION_KEYRING=KeyRing(keys=ring.keys, active=version)):
            key_provider.cache_clear()
            yield
    finally:
        key_provider.cache_clear()


@pytest.fixture
def kek_v2() -> Iterator[None]:
    with field_key_active("2"):
        yield


def blind_ring(*versions: str, active: str) -> KeyRing:
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    keys = {"1": ring.keys["1"], "2": SECOND_BLIND_KEY}
    return KeyRing(keys={version: keys[version] for version in versions}, active=active)


def rotate(*arguments: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_values_decrypt(customers: list[Customer]) -> None:
    for number, stored in enumerate(customers):
        customer = Customer.objects.get(pk=stored.pk)
        cipher = CustomerCipher(customer)
        assert cipher.decrypt("name") == f"Rotation Person {number}"
        assert cipher.decrypt("phones") == [f"+1555010{1000 + number}"]


def test_customers_start_on_the_first_key_version(customers: list[Customer]) -> None:
    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"1"}


def test_kek_rotation_rewraps_every_data_key_in_audited_batches(
    customers: list[Customer], kek_v2: None
) -> None:
    before = dict(Customer.objects.values_list("pk", "data_key_wrapped"))

    output = rotate("--kek", "--batch-size", "2")

    keys = list(Customer.objects.all())
    assert {key.data_key_kek_version for key in keys} == {"2"}
    assert all(key.data_key_rewrapped_at is not None for key in keys)
    assert all(before[key.pk] != key.data_key_wrapped for key in keys)
    assert_values_decrypt(customers)
    assert "data keys: 2/5 re-wrapped" in output
    assert "data keys: 4/5 re-wrapped" in output
    assert "data keys: 5/5 re-wrapped" in output
    assert "done, 5 re-wrapped in 3 batch(es)" in output
    batches = events("keys.rewrapped")
    assert [event.details["rewrapped"] for event in batches] == [2, 2, 1]
    assert all(event.outcome == "allowed" for event in batches)
    assert all(event.actor_kind == "system" for event in batches)
    assert {event.details["kek_version"] for event in batches} == {"2"}
    assert {tuple(event.details["from_versions"]) for event in batches} == {("1",)}


def test_audit_events_of_a_rotation_hold_no_key_material(
    customers: list[Customer], kek_v2: None
) -> None:
    old = list(Customer.objects.values_list("data_key_wrapped", flat=True))
    rotate("--kek")
    new = list(Customer.objects.values_list("data_key_wrapped", flat=True))
    logged = json.dumps([event.details for event in events("keys.rewrapped")])
    assert old
    for blob in old + new:
        assert blob not in logged
        assert blob[:16] not in logged


def test_report_after_a_rotation_shows_nothing_on_the_retired_version(
    customers: list[Customer], kek_v2: None
) -> None:
    rotate("--kek")
    report = rotate("--report")
    assert "data keys (field-encryption KEK): active version 2; key ring holds 1, 2" in report
    assert "version 1: 0 data keys (retired)" in report
    assert f"version 2: {CUSTOMERS} data keys (active)" in report
    assert "nothing left on retired versions (data keys)" in report


def test_report_names_the_data_keys_still_on_a_retired_version(
    customers: list[Customer], kek_v2: None
) -> None:
    report = rotate("--report")
    assert f"version 1: {CUSTOMERS} data keys (retired)" in report
    assert f"still on retired versions: {CUSTOMERS} data keys: " in report
    for customer in customers:
        assert str(customer.pk) in report


def test_report_flags_rows_under_a_version_missing_from_the_key_ring(
    customers: list[Customer],
) -> None:
    Customer.objects.filter(pk=customers[0].pk).update(data_key_kek_version="9")
    report = rotate("--report")
    assert "version 9: 1 data keys (NOT IN THE KEY RING: these rows cannot be read)" in report


def test_a_second_run_finds_nothing_to_do(customers: list[Customer], kek_v2: None) -> None:
    rotate("--kek")
    rewrapped_at = dict(Customer.objects.values_list("pk", "data_key_rewrapped_at"))
    audited = AuditEvent.objects.count()

    output = rotate("--kek")

    assert "data keys: nothing to do, all on the active version." in output
    assert dict(Customer.objects.values_list("pk", "data_key_rewrapped_at")) == rewrapped_at
    assert AuditEvent.objects.count() == audited


def test_a_run_stopped_after_one_batch_resumes_where_it_stopped(
    customers: list[Customer], kek_v2: None
) -> None:
    output = rotate("--kek", "--batch-size", "1", "--max-batches", "1")

    assert "data keys: 1/5 re-wrapped" in output
    assert f"stopped after 1 batch(es) (--max-batches); {CUSTOMERS - 1} still on retired" in output
    assert Customer.objects.filter(data_key_kek_version="2").count() == 1
    assert len(events("keys.rewrapped")) == 1

    output = rotate("--kek", "--batch-size", "1")

    assert f"data keys: {CUSTOMERS - 1}/{CUSTOMERS - 1} re-wrapped" in output
    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"2"}
    assert len(events("keys.rewrapped")) == CUSTOMERS
    assert_values_decrypt(customers)


def test_a_run_interrupted_between_batches_keeps_the_committed_batches(
    customers: list[Customer], kek_v2: None
) -> None:
    def interrupt(progress: RunResult) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotation_run(rotation_job("data_keys"), caller=SETUP, batch_size=2, on_batch=interrupt)

    assert Customer.objects.filter(data_key_kek_version="2").count() == 2
    assert len(events("keys.rewrapped")) == 1
    rotate("--kek")
    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"2"}
    assert_values_decrypt(customers)


def test_only_the_system_rotates_keys_and_a_person_is_refused_on_the_record(
    customers: list[Customer], kek_v2: None, supervisor: User
) -> None:
    person = as_caller(supervisor)

    with pytest.raises(AccessDeniedError):
        rotation_run(rotation_job("data_keys"), caller=person)
    with pytest.raises(AccessDeniedError):
        local_key_version_add(caller=person, kind=Kind.KEK)

    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"1"}
    assert not events("keys.rewrapped") + events("keys.version_added")
    assert [(event.actor_id, event.details) for event in events("access.denied")] == [
        (
            str(supervisor.pk),
            {
                "rule": "platform.rotate_keys",
                "via": "page",
                "resource": resource,
                "why": "people_not_allowed",
            },
        )
        for resource in ("keys:data_keys", "keys:kek")
    ]


def test_a_tampered_data_key_is_reported_and_the_others_are_rotated(
    customers: list[Customer], kek_v2: None
) -> None:
    damaged = Customer.objects.get(pk=customers[2].pk)
    wrapped = damaged.data_key_wrapped
    flipped = "A" if wrapped[20] != "A" else "B"
    Customer.objects.filter(pk=damaged.pk).update(
        data_key_wrapped=wrapped[:20] + flipped + wrapped[21:]
    )

    with pytest.raises(CommandError, match=r"1 row\(s\) failed their integrity check"):
        rotate("--kek", "--batch-size", "2")

    assert Customer.objects.get(pk=damaged.pk).data_key_kek_version == "1"
    assert Customer.objects.filter(data_key_kek_version="2").count() == CUSTOMERS - 1
    failed = [event for event in events("keys.rewrapped") if event.outcome == "failed"]
    assert len(failed) == 1
    assert failed[0].details["failed_data_keys"] == [str(damaged.pk)]
    report = rotate("--report")
    assert f"still on retired versions: 1 data keys: {damaged.pk}" in report


def test_the_rotation_task_runs_every_batch_continuing_itself(
    customers: list[Customer], kek_v2: None
) -> None:
    # Eager here (tests/settings.py): each continuation runs inline, as a worker would run it.
    result = rotate_keys.delay(job="data_keys", batch_size=1, max_batches=2).get()

    assert result["job"] == "data_keys"
    assert result["batches"] == 2
    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"2"}
    assert len(events("keys.rewrapped")) == CUSTOMERS
    assert {event.actor_id for event in events("keys.rewrapped")} == {"rotate_keys task"}
    assert_values_decrypt(customers)


def test_the_command_can_hand_the_rotation_to_a_worker(
    customers: list[Customer], kek_v2: None
) -> None:
    output = rotate("--kek", "--in-worker")
    assert "data keys: sent to a worker (task " in output
    assert set(Customer.objects.values_list("data_key_kek_version", flat=True)) == {"2"}


def test_the_rotation_task_refuses_an_unknown_job(db: None) -> None:
    with pytest.raises(ValueError, match="no rotation job 'nonsense'"):
        rotate_keys.delay(job="nonsense").get()


def test_the_command_says_what_it_can_do_when_asked_nothing(db: None) -> None:
    with pytest.raises(CommandError, match="--kek, --blind-index, --report"):
        rotate()


@pytest.mark.parametrize("option", ["--batch-size", "--max-batches"])
def test_the_command_refuses_a_batch_limit_below_one(db: None, option: str) -> None:
    with pytest.raises(CommandError, match=f"{option} must be at least 1"):
        rotate("--kek", option, "0")


# --- Blind-index rotation -----------------------------------------------------------------


def _search(user: User, kind: LookupKind, value: str) -> set[str]:
    found = customers_search(caller=as_caller(user), kind=kind, value=value)
    return {str(customer.pk) for customer in found}


def assert_every_customer_found(customers: list[Customer], agent: User) -> None:
    for number, customer in enumerate(customers):
        values = _values(number)
        assert _search(agent, LookupKind.PHONE, values["phones"][0]) == {str(customer.pk)}
        assert _search(agent, LookupKind.EMAIL, values["emails"][0].upper()) == {str(customer.pk)}
        assert _search(agent, LookupKind.ACCOUNT_NUMBER, values["account_number"]) == {
            str(customer.pk)
        }


def test_blind_index_rotation_keeps_search_working_during_and_after(
    customers: list[Customer], agent: User
) -> None:
    lookups = CustomerLookup.objects.count()
    assert set(CustomerLookup.objects.values_list("key_version", flat=True)) == {"1"}

    with override_settings(BLIND_INDEX_KEYRING=blind_ring("1", "2", active="2")):
        assert_every_customer_found(customers, agent)

        output = rotate("--blind-index", "--batch-size", "2", "--max-batches", "1")
        assert "customers' search lookups: 2/5 recomputed" in output
        assert set(CustomerLookup.objects.values_list("key_version", flat=True)) == {"1", "2"}
        assert_every_customer_found(customers, agent)  # half-way: both versions in use

        output = rotate("--blind-index", "--batch-size", "2")
        assert "done, 3 recomputed in 2 batch(es)" in output
        assert set(CustomerLookup.objects.values_list("key_version", flat=True)) == {"2"}
        assert CustomerLookup.objects.count() == lookups
        assert_every_customer_found(customers, agent)
        report = rotate("--report")
        assert "customer search lookups (blind index): active version 2" in report
        assert f"version 2: {lookups} lookups (active)" in report
        assert "nothing left on retired versions (lookups)" in report

    # With the old key gone from the ring, only the recomputed digests can match.
    with override_settings(BLIND_INDEX_KEYRING=blind_ring("2", active="2")):
        assert_every_customer_found(customers, agent)


def test_blind_index_rotation_is_audited_per_batch_without_values(
    customers: list[Customer],
) -> None:
    with override_settings(BLIND_INDEX_KEYRING=blind_ring("1", "2", active="2")):
        rotate("--blind-index", "--batch-size", "3")
        rotate("--blind-index")

    recomputed = events("keys.blind_index_recomputed")
    assert [event.details["customers"] for event in recomputed] == [3, 2]
    assert sum(event.details["lookups"] for event in recomputed) == 3 * CUSTOMERS
    assert {event.details["key_version"] for event in recomputed} == {"2"}
    logged = json.dumps([event.details for event in recomputed]).lower()
    for number in range(CUSTOMERS):
        for value in ("rotation person", f"person.{number}@", f"0{1000 + number}", "7700"):
            assert value not in logged


def test_report_names_customers_whose_lookups_are_on_a_retired_key(
    customers: list[Customer],
) -> None:
    with override_settings(BLIND_INDEX_KEYRING=blind_ring("1", "2", active="2")):
        report = rotate("--report")
    assert f"version 1: {3 * CUSTOMERS} lookups (retired)" in report
    assert f"still on retired versions: {CUSTOMERS} customers: " in report
    assert all(str(customer.pk) in report for customer in customers)


def test_a_customer_whose_values_fail_to_decrypt_keeps_old_lookups_and_is_reported(
    customers: list[Customer], agent: User
) -> None:
    # Another customer's phone numbers pasted into this row: they do not decrypt here.
    Customer.objects.filter(pk=customers[1].pk).update(phones_enc=customers[0].phones_enc)

    with (
        override_settings(BLIND_INDEX_KEYRING=blind_ring("1", "2", active="2")),
        pytest.raises(CommandError, match=r"1 row\(s\) failed"),
    ):
        rotate("--blind-index")

    assert set(
        CustomerLookup.objects.filter(customer=customers[1]).values_list("key_version", flat=True)
    ) == {"1"}
    assert set(
        CustomerLookup.objects.exclude(customer=customers[1]).values_list("key_version", flat=True)
    ) == {"2"}
    (event,) = events("keys.blind_index_recomputed")
    assert event.outcome == "failed"
    assert event.details["failed_customers"] == [str(customers[1].pk)]
