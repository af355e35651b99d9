"""Each customer's wrapped data key moves onto the customer's row (from ccplatform.DataKey).

Every read of a customer needs its key: joining the key table cost more than the encryption
itself (search, list pages), and bulk import wrote a second row per customer. The key's id
stays the same (`data_key_id`, the column of the former foreign key): every stored value
names it. Its wrapping is unchanged too: it is bound to the subject `customers.customer:<id>`,
which is this row. ccplatform's next migration drops the emptied key table.

Forward: the foreign key becomes a plain id, then the wrapped key, its KEK version and the
time of its last re-wrap are copied in batches. Reverse: key rows are rebuilt from the
customer rows (subject, version, wrapped key), then the foreign key returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.db import migrations, models

BATCH = 2000
SUBJECT = "customers.customer:{}"


def _batches(customers: Any) -> Iterator[list[Any]]:
    """The customers in primary-key order, BATCH at a time (keyset: each page after the last)."""
    customers = customers.order_by("pk")
    after = None
    while batch := list((customers if after is None else customers.filter(pk__gt=after))[:BATCH]):
        yield batch
        after = batch[-1].pk


def copy_keys_to_customers(apps: Any, schema_editor: Any) -> None:
    Customer = apps.get_model("customers", "Customer")
    DataKey = apps.get_model("ccplatform", "DataKey")
    for batch in _batches(Customer.objects.only("pk", "data_key_id")):
        keys = DataKey.objects.in_bulk([customer.data_key_id for customer in batch])
        for customer in batch:
            key = keys[customer.data_key_id]
            customer.data_key_kek_version = key.kek_version
            customer.data_key_wrapped = key.wrapped
            customer.data_key_rewrapped_at = key.rewrapped_at
        Customer.objects.bulk_update(
            batch, ["data_key_kek_version", "data_key_wrapped", "data_key_rewrapped_at"]
        )


def copy_keys_to_key_table(apps: Any, schema_editor: Any) -> None:
    Customer = apps.get_model("customers", "Customer")
    DataKey = apps.get_model("ccplatform", "DataKey")
    customers = Customer.objects.only(
        "pk",
        "created_at",
        "data_key_id",
        "data_key_kek_version",
        "data_key_wrapped",
        "data_key_rewrapped_at",
    )
    for batch in _batches(customers):
        DataKey.objects.bulk_create(
            DataKey(
                id=customer.data_key_id,
                subject=SUBJECT.format(customer.pk),
                kek_version=customer.data_key_kek_version,
                wrapped=customer.data_key_wrapped,
                created_at=customer.created_at,
                rewrapped_at=customer.data_key_rewrapped_at,
            )
            for customer in batch
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ccplatform", "0001_create_data_key"),
        ("customers", "0002_interaction_scanned_version"),
    ]
    # The key table is dropped only once its rows are copied here.
    run_before = [("ccplatform", "0002_delete_data_key")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="data_key_kek_version",
            field=models.CharField(default="", editable=False, max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="customer",
            name="data_key_wrapped",
            field=models.TextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="customer",
            name="data_key_rewrapped_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        # The foreign key's column `data_key_id` keeps its values as a plain id.
        migrations.AlterField(
            model_name="customer",
            name="data_key",
            field=models.UUIDField(db_column="data_key_id", editable=False),
        ),
        migrations.RenameField(model_name="customer", old_name="data_key", new_name="data_key_id"),
        migrations.AlterField(
            model_name="customer",
            name="data_key_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.RunPython(copy_keys_to_customers, copy_keys_to_key_table, elidable=False),
    ]
