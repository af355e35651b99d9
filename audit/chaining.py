"""The hash chains: canonical text, link hashes, and the one-round-trip append.

An event's `canonical` text is compact JSON of its fields with sorted keys and the time in
UTC with microseconds; it is stored, so verification hashes exactly what was hashed when the
event was written, and also checks that the columns still say what the text says. The link
hash is sha256 over `prev_hash \\n chain \\n seq \\n canonical`, so an edited, deleted,
reordered or moved row breaks the chain at that link.

Chains are shards: an event goes to the chain of its actor (a hash of the actor, modulo
AUDIT_CHAINS), so concurrent writers rarely wait for one another. Appending locks the
chain's head row until the transaction ends. To rule out deadlocks between transactions that
append to several chains, heads are only ever locked in ascending chain order: an event whose
own chain is lower than a chain its transaction already holds goes to that held chain instead.
Which chain an event is on does not matter to verification; that every chain is intact does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from audit.models.chains import GENESIS_HASH

HELD_CHAIN_SETTING = "ccplatform.audit_chain_held"


@dataclass(frozen=True)
class EventFields:
    """The recorded fields of one event, as they are stored (already cleaned and truncated)."""

    occurred_at: datetime
    actor_kind: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    outcome: str
    reason: str
    request_id: str
    ip: str | None
    user_agent: str
    details: Mapping[str, Any]


def fields_of(event: Any) -> EventFields:
    """The recorded fields of a stored event (a model instance, historical ones included)."""
    return EventFields(**{field.name: getattr(event, field.name) for field in fields(EventFields)})


@dataclass(frozen=True)
class Link:
    """Where an appended event landed."""

    id: int
    chain: int
    seq: int
    prev_hash: str
    hash: str
    canonical: str


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_text(fields: EventFields) -> str:
    """The stored text that an event's hash covers; any change to a column shows against it."""
    return json.dumps(
        {
            "action": fields.action,
            "actor_id": fields.actor_id,
            "actor_kind": fields.actor_kind,
            "details": fields.details,
            "ip": fields.ip,
            "occurred_at": utc_text(fields.occurred_at),
            "outcome": fields.outcome,
            "reason": fields.reason,
            "request_id": fields.request_id,
            "target_id": fields.target_id,
            "target_type": fields.target_type,
            "user_agent": fields.user_agent,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def link_hash(prev_hash: str, chain: int, seq: int, canonical: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{chain}\n{seq}\n{canonical}".encode()).hexdigest()


def chain_for(actor_kind: str, actor_id: str) -> int:
    """The actor's shard: stable for an actor, spread evenly over AUDIT_CHAINS chains."""
    digest = hashlib.sha256(f"{actor_kind}:{actor_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % settings.AUDIT_CHAINS


# The columns an append writes, in this order: the event's fields (field_values), then the link.
APPENDED_COLUMNS = (
    "occurred_at, actor_kind, actor_id, action, target_type, target_id, outcome, reason, "
    "request_id, ip, user_agent, details, chain, seq, prev_hash, hash, canonical"
)


def field_values(fields: EventFields) -> list[Any]:
    """The event's fields as the first twelve APPENDED_COLUMNS store them (details as JSON)."""
    return [
        # As the ORM stores it (naive UTC text on SQLite), so its comparisons match the rows.
        connection.ops.adapt_datetimefield_value(fields.occurred_at),
        fields.actor_kind,
        fields.actor_id,
        fields.action,
        fields.target_type,
        fields.target_id,
        fields.outcome,
        fields.reason,
        fields.request_id,
        fields.ip,
        fields.user_agent,
        json.dumps(fields.details, ensure_ascii=False, separators=(",", ":")),
    ]


def append(fields: EventFields, *, chain: int) -> Link:
    """Append one event to `chain` (or the chain this transaction already holds, above it).

    Must run inside a transaction (audit_record opens one); the head stays locked until it
    ends, and a rollback takes the event and the head's advance back together.
    """
    canonical = canonical_text(fields)
    values = field_values(fields)
    if connection.vendor == "postgresql":
        return _append_postgresql(values, chain, canonical)
    return _append_sqlite(values, chain, canonical)


def _append_postgresql(values: list[Any], chain: int, canonical: str) -> Link:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [chain, *values, canonical],
        )
        event_id, chain, seq, prev_hash, new_hash = cursor.fetchone()
    return Link(event_id, chain, seq, prev_hash, new_hash, canonical)


def _append_sqlite(values: list[Any], chain: int, canonical: str) -> Link:
    """The same as audit_append on PostgreSQL, in one statement: the new link is computed
    from the head by `audit_link_hash` (link_hash, registered on every SQLite connection),
    and a trigger advances the head. SQLite has one writer at a time (transactions begin
    IMMEDIATE), so there is no lock order to keep."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audit_auditevent ({APPENDED_COLUMNS}) "  # noqa: S608  # nosec B608
            "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, chosen.chain, "
            "coalesce(head.seq, 0) + 1, coalesce(head.hash, %s), "
            "audit_link_hash(coalesce(head.hash, %s), chosen.chain, coalesce(head.seq, 0) + 1, "
            "%s), %s "
            "FROM (SELECT %s AS chain) AS chosen "
            "LEFT JOIN audit_chainhead AS head ON head.chain = chosen.chain "
            "RETURNING id, seq, prev_hash, hash",
            [*values, GENESIS_HASH, GENESIS_HASH, canonical, canonical, chain],
        )
        event_id, seq, prev_hash, new_hash = cursor.fetchone()
    return Link(event_id, chain, seq, prev_hash, new_hash, canonical)


def register_sqlite_functions(connection: Any, **_: Any) -> None:
    """`audit_link_hash` for the SQLite append (connected to `connection_created`)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("audit_link_hash", 4, link_hash, deterministic=True)


# The head follows each new link (SQLite; on PostgreSQL audit_append updates it).
SQLITE_ADVANCE_HEAD_TRIGGER = """
CREATE TRIGGER audit_auditevent_advance_head AFTER INSERT ON audit_auditevent
BEGIN
    INSERT INTO audit_chainhead (chain, seq, hash) VALUES (NEW.chain, NEW.seq, NEW.hash)
    ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
END
"""
SQLITE_DROP_ADVANCE_HEAD_TRIGGER = "DROP TRIGGER IF EXISTS audit_auditevent_advance_head"


# --- PostgreSQL: the append as one SQL function (installed by migration) -----------------

# A plain constant: the setting name (HELD_CHAIN_SETTING) and the columns are written out.
POSTGRESQL_APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append(
    p_chain integer, p_occurred_at timestamptz, p_actor_kind text, p_actor_id text,
    p_action text, p_target_type text, p_target_id text, p_outcome text, p_reason text,
    p_request_id text, p_ip inet, p_user_agent text, p_details jsonb, p_canonical text
) RETURNS TABLE (event_id bigint, event_chain integer, event_seq bigint,
                 event_prev_hash text, event_hash text)
LANGUAGE plpgsql
-- Runs as its owner (the role that migrates), so the application's role needs no INSERT on
-- the events and no UPDATE on the heads: it can append only through this function.
SECURITY DEFINER SET search_path FROM CURRENT
AS $$
DECLARE
    held integer := coalesce(
        nullif(current_setting('ccplatform.audit_chain_held', true), ''), '-1'
    )::integer;
    head_seq bigint;
    head_hash text;
    new_hash text;
    new_id bigint;
BEGIN
    -- Heads are locked in ascending chain order only, so appenders never deadlock.
    IF p_chain < held THEN
        p_chain := held;
    END IF;
    SELECT h.seq, h.hash INTO head_seq, head_hash
        FROM audit_chainhead h WHERE h.chain = p_chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_chainhead (chain, seq, hash) VALUES (p_chain, 0, repeat('0', 64))
            ON CONFLICT (chain) DO NOTHING;
        SELECT h.seq, h.hash INTO head_seq, head_hash
            FROM audit_chainhead h WHERE h.chain = p_chain FOR UPDATE;
    END IF;
    head_seq := head_seq + 1;
    new_hash := encode(sha256(convert_to(
        head_hash || E'\\n' || p_chain || E'\\n' || head_seq || E'\\n' || p_canonical, 'UTF8'
    )), 'hex');
    UPDATE audit_chainhead SET seq = head_seq, hash = new_hash WHERE chain = p_chain;
    INSERT INTO audit_auditevent (
        occurred_at, actor_kind, actor_id, action, target_type, target_id, outcome, reason,
        request_id, ip, user_agent, details, chain, seq, prev_hash, hash, canonical
    )
        VALUES (p_occurred_at, p_actor_kind, p_actor_id, p_action, p_target_type, p_target_id,
                p_outcome, p_reason, p_request_id, p_ip, p_user_agent, p_details, p_chain,
                head_seq, head_hash, new_hash, p_canonical)
        RETURNING id INTO new_id;
    IF p_chain > held THEN
        PERFORM set_config('ccplatform.audit_chain_held', p_chain::text, true);
    END IF;
    RETURN QUERY SELECT new_id, p_chain, head_seq, head_hash, new_hash;
END
$$
"""
POSTGRESQL_DROP_APPEND_FUNCTION = (
    "DROP FUNCTION IF EXISTS audit_append(integer, timestamptz, text, text, text, text, text, "
    "text, text, text, inet, text, jsonb, text)"
)
