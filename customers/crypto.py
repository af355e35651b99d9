"""Encrypting a customer's values with the customer's own data key.

Notes and interaction summaries use the same key, so shredding the customer's key makes all
of their free text unreadable too. Each value is bound to its table, column and row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccplatform.crypto.data_keys import data_key_unwrap
from ccplatform.crypto.fields import binding, decrypt_value, encrypt_value, key_id_of
from ccplatform.crypto.providers import DecryptionError
from customers.fields import FIELDS, Kind, from_text, to_text

if TYPE_CHECKING:
    from customers.models import Customer

CUSTOMER_TABLE = "customers_customer"


class CustomerCipher:
    """Encrypts and decrypts the values of one customer (their data key unwrapped once)."""

    def __init__(self, customer: Customer, data_key: bytes | None = None) -> None:
        self.customer = customer
        self._key = data_key

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = data_key_unwrap(self.customer.data_key)
        return self._key

    @property
    def key_id(self) -> str:
        return str(self.customer.data_key_id)

    def seal(self, table: str, column: str, row_id: object, text: str) -> str:
        return encrypt_value(self.key, self.key_id, text, aad=binding(table, column, row_id))

    def open(self, table: str, column: str, row_id: object, stored: str) -> str:
        if key_id_of(stored) != self.key_id:
            raise DecryptionError(f"{table}.{column} of {row_id} names another data key")
        return decrypt_value(self.key, stored, aad=binding(table, column, row_id))

    def encrypt(self, field: str, value: object) -> str:
        """The stored form of a customer field ('' for an empty value)."""
        if value in (None, "", [], ()):
            return ""
        return self.seal(CUSTOMER_TABLE, field, self.customer.pk, to_text(field, value))

    def decrypt(self, field: str) -> object:
        stored: str = getattr(self.customer, f"{field}_enc")
        if not stored:
            return [] if FIELDS[field].kind == Kind.LIST else ""
        return from_text(field, self.open(CUSTOMER_TABLE, field, self.customer.pk, stored))
