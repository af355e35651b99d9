"""The audit actions of customers (declared once; audit.actions is the registry)."""

from __future__ import annotations

from audit.actions import CRITICAL, INFO, NOTICE, WARNING, Category, declare

CUSTOMER_LISTED = declare(
    "customer.listed",
    Category.RECORDS_NAMED,
    INFO,
    "A page of customers was shown, masked (details: the ids shown).",
)
CUSTOMER_SEARCHED = declare(
    "customer.searched",
    Category.RECORDS_NAMED,
    INFO,
    "An exact-match search ran (details: the kind, never the value, and the ids found).",
)
CUSTOMER_VIEWED = declare(
    "customer.viewed", Category.RECORD_READ, INFO, "A customer's masked record was shown."
)
CUSTOMER_NOTES_VIEWED = declare(
    "customer.notes_viewed", Category.RECORD_READ, INFO, "A customer's notes were shown."
)
CUSTOMER_INTERACTIONS_VIEWED = declare(
    "customer.interactions_viewed",
    Category.RECORD_READ,
    INFO,
    "A customer's interactions were shown.",
)
CUSTOMER_REVEALED = declare(
    "customer.revealed",
    Category.RECORD_REVEALED,
    NOTICE,
    "Masked fields were shown in plain text, with a reason (details: which fields).",
)
CUSTOMER_REVEAL_REFUSED = declare(
    "customer.reveal_refused",
    Category.ACCESS_DENIED,
    WARNING,
    "A reveal was refused because the caller reached the reveal limit (REVEAL_RATE).",
)
CUSTOMER_CREATED = declare(
    "customer.created", Category.RECORD_WRITE, INFO, "A customer was created."
)
CUSTOMER_UPDATED = declare(
    "customer.updated", Category.RECORD_WRITE, INFO, "Fields of a customer changed."
)
CUSTOMER_NOTE_ADDED = declare(
    "customer.note_added", Category.RECORD_WRITE, INFO, "A note was added to a customer."
)
CUSTOMER_INTERACTION_ADDED = declare(
    "customer.interaction_added", Category.RECORD_WRITE, INFO, "An interaction was logged."
)
CUSTOMERS_IMPORTED = declare(
    "customers.imported", Category.RECORD_WRITE, NOTICE, "A batch of an import was saved."
)
CUSTOMERS_IMPORT_FAILED = declare(
    "customers.import_failed",
    Category.RECORD_WRITE,
    WARNING,
    "An import was rolled back (rejected rows or an unreadable file).",
)
CUSTOMERS_SEALED = declare(
    "customers.sealed",
    Category.RESTRICTION,
    WARNING,
    "Customers were sealed: no reveal until released (details: the ids, and why).",
)
CUSTOMERS_RELEASED = declare(
    "customers.released",
    Category.RESTRICTION,
    NOTICE,
    "The seals of customers were released (details: the ids, and why).",
)
CARD_DATA_REDACTED = declare(
    "customer.card_data_redacted",
    Category.CARD_DATA,
    WARNING,
    "A card number was found in free text and masked before saving (counts only).",
)
NOTES_RESCANNED = declare(
    "customers.notes_rescanned",
    Category.CARD_DATA,
    NOTICE,
    "A batch of stored notes or interactions was scanned again for card data.",
)
CUSTOMER_INTEGRITY_FAILED = declare(
    "customer.integrity_failed",
    Category.INTEGRITY,
    CRITICAL,
    "A customer's stored data failed its integrity check (tampered, moved or wrong key).",
)
BLIND_INDEX_RECOMPUTED = declare(
    "keys.blind_index_recomputed",
    Category.KEYS,
    NOTICE,
    "A batch of search digests was recomputed under the active blind-index key.",
)
KEY_VERSION_ADDED = declare(
    "keys.version_added", Category.KEYS, WARNING, "A key version was added to a local key ring."
)

# The history parts an audit event names ("notes" / "interactions").
HISTORY_VIEWED = {"notes": CUSTOMER_NOTES_VIEWED, "interactions": CUSTOMER_INTERACTIONS_VIEWED}
