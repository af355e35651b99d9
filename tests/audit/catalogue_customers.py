"""Completeness catalogue: the customers services and the events each owes.

Records, reveals and searches, the selectors' reads, the access log, notes, the import and
the rescan; every `entry(...)` here registers in tests.audit.service_catalogue.CATALOGUE
when this module is imported (by tests/audit/test_completeness.py, which runs them).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from accounts.models import User
from audit.services import AuditTarget
from ccplatform.config import Rate
from ccplatform.errors import AccessDeniedError, ServiceError
from ccplatform.redaction import redact_card_data
from customers import selectors
from customers.models import Note
from customers.services import access_log, importing, notes, records, rescan, search
from tests.audit.service_catalogue import (
    SYSTEM,
    Expect,
    World,
    after,
    by,
    denial,
    entry,
    raises,
    then,
)

CARD_NOTE = "Paid with 4111 1111 1111 1111 cvv 123"
IMPORT = ['{"name": "Imre Catalogue", "phones": ["+1 555 010 2233"]}'] * 3
NEW_CUSTOMER = AuditTarget("customers.customer", "new")


def reveal(w: World, user: User, fields: list[str]) -> dict[str, Any]:
    return records.customer_reveal(
        caller=w.as_user(user), customer=w.customer, fields=fields, reason="caller asked"
    )


def reveal_once(w: World) -> None:
    """One reveal allowed per hour, and used."""
    w.settings.REVEAL_RATE = Rate(1, "hour")
    reveal(w, w.agent, ["name"])


def note(w: World, body: str) -> Note:
    return notes.customer_note_add(caller=w.as_user(w.agent), customer=w.customer, body=body)


def moved_note(w: World) -> None:
    """One note whose ciphertext was moved from another: it fails its integrity check."""
    first, second = note(w, "first"), note(w, "second")
    Note.objects.filter(pk=second.pk).update(body_enc=first.body_enc)
    Note.objects.filter(pk__in=[first.pk, second.pk]).update(scanned_version=0)


# fmt: off
# --- customers: records, reveal, search ------------------------------------------------------
entry("customer_create", records.customer_create, "customer.created", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_create(caller=w.as_user(w.agent), team_id=w.team.pk,
                                                values={"name": "Orla Catalogue"})))
entry("customer_create_by_the_system", records.customer_create, "customer.created",
      lambda w: lambda: Expect(SYSTEM, records.customer_create(
          caller=SYSTEM, team_id=w.team.pk, values={"name": "Orla Catalogue",
                                                    "medical_notes": "Asthma"})))
entry("customer_create_other_team", records.customer_create, (), lambda w: lambda: raises(
    ServiceError, lambda: records.customer_create(
        caller=w.as_user(w.agent), team_id=w.other_agent.teams.get().pk,
        values={"name": "Orla Catalogue"}), by(w.agent)),
      why="A team that is not one of the agent's is a field error (400), like invalid input; "
          "nothing is written.")
entry("customer_create_refused", records.customer_create, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: records.customer_create(
          caller=w.as_user(w.compliance_officer), team_id=w.team.pk,
          values={"name": "Orla Catalogue"}),
          denial(w.as_user(w.compliance_officer), NEW_CUSTOMER, rule="customers.create",
                 why="missing_permission:customers.add_customer")))
entry("customer_update", records.customer_update, "customer.updated", lambda w: lambda: Expect(
    w.as_user(w.agent), records.customer_update(caller=w.as_user(w.agent), customer=w.customer,
                                                values={"emails": ["o.c@example.org"]})))
entry("customer_update_medical_refused", records.customer_update, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: records.customer_update(
          caller=w.as_user(w.agent), customer=w.customer, values={"medical_notes": "x"}),
          denial(w.as_user(w.agent), w.customer, rule="customers.write_medical",
                 why="missing_permission:customers.view_medical")))
entry("customer_build", records.customer_build, (),
      lambda w: lambda: then(lambda: records.customer_build(
    team=w.team, values={"name": "Unsaved Person"}), by(w.agent)),
      why="A step of customer_create and the import: its data key row is kept only when their "
          "audited transaction commits.")
entry("customer_viewed", records.customer_viewed, "customer.viewed", lambda w: lambda: then(lambda:
    records.customer_viewed(caller=w.as_user(w.agent), customer=w.customer),
    Expect(w.as_user(w.agent), w.customer)))
entry("customer_reveal", records.customer_reveal, "customer.revealed",
      lambda w: lambda: then(lambda:
    reveal(w, w.supervisor, ["name", "medical_notes"]),
    Expect(w.as_user(w.supervisor), w.customer)))
entry("customer_reveal_over_rate", records.customer_reveal, "customer.reveal_refused",
      lambda w: after(
    lambda: reveal_once(w), lambda: raises(
        records.RevealLimitError, lambda: reveal(w, w.agent, ["name"]),
        Expect(w.as_user(w.agent), w.customer, "denied"))))
entry("customer_reveal_medical_refused", records.customer_reveal, "access.denied",
      lambda w: lambda: raises(
          AccessDeniedError, lambda: reveal(w, w.agent, ["medical_notes"]),
          denial(w.as_user(w.agent), w.customer, rule="customers.reveal_fields",
                 why="missing_permission:customers.view_medical")))
entry("customers_search", search.customers_search, "customer.searched",
      lambda w: lambda: then(lambda:
    search.customers_search(caller=w.as_user(w.agent), kind="phone", value="(555) 010-4477"),
    Expect(w.as_user(w.agent), None)))
entry("customers_search_bad_value", search.customers_search, (), lambda w: lambda: raises(
    ServiceError, lambda: search.customers_search(
        caller=w.as_user(w.agent), kind="phone", value="call me"), by(w.agent)),
      why="Nothing was searched: the value is not a phone number (a 400).")
entry("customers_search_refused", search.customers_search, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: search.customers_search(
          caller=w.as_user(w.security_admin), kind="phone", value="(555) 010-4477"),
          denial(w.as_user(w.security_admin), AuditTarget("customers.customer", "search"),
                 rule="customers.view", why="missing_permission:customers.view_customer")))

# --- customers: reads of the selectors ---------------------------------------------------------
entry("customer_get_for", selectors.customer_get_for, (), lambda w: lambda: then(lambda:
    selectors.customer_get_for(w.as_user(w.agent), w.customer.pk), by(w.agent)),
      why="Finds the record the caller may reach; the page or API that shows it records "
          "customer.viewed (customer_viewed, its own entry).")
entry("customer_get_for_hidden", selectors.customer_get_for, "access.denied", lambda w: lambda:
      raises(Http404, lambda: selectors.customer_get_for(
          w.as_user(w.other_agent), w.customer.pk), denial(
              w.as_user(w.other_agent), AuditTarget("customers.customer", str(w.customer.pk)),
              rule="customers.visible", why="outside_scope_or_missing")),
      why="Hidden and missing look alike (404), and the refusal is recorded.")
entry("customer_masked", (selectors.customer_masked, selectors.customer_record), (),
      lambda w: lambda: then(lambda: (
          selectors.customer_masked(w.as_user(w.supervisor), w.customer),
          selectors.customer_record(w.as_user(w.agent), w.customer)), by(w.agent)),
      why="Masked values only; their callers record customer.viewed, .listed or .searched.")
entry("customer_history", (selectors.customer_history, selectors.note_shown,
                           selectors.interaction_shown), (),
      lambda w: after(lambda: note(w, "Prefers email"), lambda: then(lambda:
          selectors.customer_history(w.as_user(w.agent), w.customer), by(w.agent))),
      why="Decrypts for a page (note_shown, interaction_shown per row); every caller records "
          "customer_history_viewed (its own entry).")

# --- customers: access log, notes, import, rescan --------------------------------------------
entry("customers_listed", access_log.customers_listed, "customer.listed",
      lambda w: lambda: then(lambda:
    access_log.customers_listed(caller=w.as_user(w.agent), customer_ids=[str(w.customer.pk)],
                                page=1), Expect(w.as_user(w.agent), None)))
entry("customer_history_viewed", access_log.customer_history_viewed, "customer.notes_viewed",
      lambda w: lambda: then(lambda: access_log.customer_history_viewed(
          caller=w.as_user(w.agent), customer=w.customer, part="notes", ids=[]),
          Expect(w.as_user(w.agent), w.customer)))
entry("customer_integrity_failed", access_log.customer_integrity_failed,
      "customer.integrity_failed",
      lambda w: lambda: then(lambda: access_log.customer_integrity_failed(
          caller=w.as_user(w.agent), customer=w.customer, operation="reveal"),
          Expect(w.as_user(w.agent), w.customer, "failed")))
entry("customer_note_add", notes.customer_note_add, "customer.note_added",
      lambda w: lambda: then(lambda:
    note(w, "Prefers email"), Expect(w.as_user(w.agent), w.customer)))
entry("customer_note_add_with_card", notes.customer_note_add,
      ("customer.card_data_redacted", "customer.note_added"), lambda w: lambda: then(lambda:
          note(w, CARD_NOTE), Expect(w.as_user(w.agent), w.customer)),
      why="Card data found in the text is its own security event, besides the note.")
entry("customer_note_add_refused", notes.customer_note_add, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: notes.customer_note_add(
          caller=w.as_user(w.compliance_officer), customer=w.customer, body="Prefers email"),
          denial(w.as_user(w.compliance_officer), w.customer, rule="customers.add_note",
                 why="missing_permission:customers.add_note")))
entry("customer_interaction_add", notes.customer_interaction_add, "customer.interaction_added",
      lambda w: lambda: then(lambda: notes.customer_interaction_add(
          caller=w.as_user(w.agent), customer=w.customer, channel="call",
          outcome="resolved", summary="Called back"), Expect(w.as_user(w.agent), w.customer)))
entry("card_data_redacted", notes.card_data_redacted, "customer.card_data_redacted",
      lambda w: lambda: then(lambda: notes.card_data_redacted(
          caller=w.as_user(w.agent), customer=w.customer, result=redact_card_data(CARD_NOTE),
          where="note", row_id="n1"), Expect(w.as_user(w.agent), w.customer)))
entry("customers_import_batch", importing.customers_import_batch, "customers.imported",
      lambda w: lambda: then(lambda: importing.customers_import_batch(
          caller=SYSTEM, team=w.team, built=importing.customers_build_many(
              team=w.team, rows=importing.rows_from_jsonl(IMPORT))[0], number=1,
          rejected_lines=[]), Expect(SYSTEM, w.team)))
entry("customers_build_many", importing.customers_build_many, (), lambda w: lambda: then(lambda:
    importing.customers_build_many(team=w.team, rows=importing.rows_from_jsonl(IMPORT)),
    Expect(SYSTEM, w.team)), why="Unsaved rows (data keys too); customers_import_batch saves them.")
entry("customers_import", importing.customers_import, ("customers.imported",) * 2,
      lambda w: lambda: then(lambda: importing.customers_import(
          caller=SYSTEM, team=w.team, rows=importing.rows_from_jsonl(IMPORT), batch_size=2),
          Expect(SYSTEM, w.team)), why="One event per saved batch: 3 rows in batches of 2.")
entry("customers_import_rolled_back", importing.customers_import, "customers.import_failed",
      lambda w: lambda: then(lambda: importing.customers_import(
          caller=SYSTEM, team=w.team, rows=importing.rows_from_jsonl([*IMPORT, "{}"]),
          all_or_nothing=True), Expect(SYSTEM, w.team, "failed")))
entry("customers_import_by_a_person", importing.customers_import, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: importing.customers_import(
          caller=w.as_user(w.supervisor), team=w.team, rows=importing.rows_from_jsonl(IMPORT)),
          denial(w.as_user(w.supervisor), w.team, rule="customers.import",
                 why="people_not_allowed")),
      why="Importing is an operator's command (the system): a person is refused, recorded.")
entry("notes_rescan", rescan.notes_rescan, "customers.notes_rescanned", lambda w: after(
    lambda: Note.objects.filter(pk=note(w, "old").pk).update(scanned_version=0),
    lambda: then(lambda: rescan.notes_rescan(caller=SYSTEM), Expect(SYSTEM, None))),
      why="One event per batch of each kind of text; here one batch of notes, no interactions.")
entry("notes_rescan_integrity_failed", rescan.notes_rescan,
      ("customer.integrity_failed", "customers.notes_rescanned"), lambda w: after(
          lambda: moved_note(w), lambda: then(lambda: rescan.notes_rescan(caller=SYSTEM), (
              Expect(SYSTEM, w.customer, "failed"), Expect(SYSTEM, None)))),
      why="A stored text that fails its check is recorded on its own, then the batch.")
# fmt: on
