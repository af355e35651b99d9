"""Encrypting a customer's values with the customer's own data key.

Notes and interaction summaries use the same key, so shredding the customer's key makes all
of their free text unreadable too. Each value is bound to its table, column and row.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ccplatform.crypto.data_keys import data_key_unwrap
from ccplatform.crypto.fields import ValueCipher, binding
from customers.fields import FIELDS, Kind, from_text, to_text

if TYPE_CHECKING:
    from customers.models import Customer

CUSTOMER_TABLE = "customers_customer"


class CustomerCipher:
    """Encrypts and decrypts the values of one customer: their data key is unwrapped once,
    on first use, and its AES-GCM context built once for all of their values."""

    def __init__(self, customer: Customer, data_key: bytes | None = None) -> None:
        self.customer = customer
        self.key_id = str(customer.data_key_id)
        self._row_id = str(customer.pk)  # bound into every field's associated data
        if data_key is not None:
            self.key = data_key

    @cached_property
    def key(self) -> bytes:
        return data_key_unwrap(self.customer)

    @cached_property
    def values(self) -> ValueCipher:
        return ValueCipher(self.key, self.key_id)

    def seal(self, table: str, column: str, row_id: object, text: str) -> str:
        return self.values.seal(text, aad=binding(table, column, row_id))

    def open(self, table: str, column: str, row_id: object, stored: str) -> str:
        """The plaintext of a value sealed with this customer's key (DecryptionError if it
        names another data key, or was tampered with or moved)."""
        return self.values.open(stored, aad=binding(table, column, row_id))

    def encrypt(self, field: str, value: object) -> str:
        """The stored form of a customer field ('' for an empty value)."""
        if value in (None, "", [], ()):
            return ""
        return self.seal(CUSTOMER_TABLE, field, self._row_id, to_text(field, value))

    def decrypt(self, field: str) -> object:
        stored: str = getattr(self.customer, f"{field}_enc")
        if not stored:
            return [] if FIELDS[field].kind == Kind.LIST else ""
        return from_text(field, self.open(CUSTOMER_TABLE, field, self._row_id, stored))
