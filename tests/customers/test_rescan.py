"""rescan_notes: retroactive redaction of stored notes and interaction summaries."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.errors import AccessDeniedError
from ccplatform.redaction import CARD_SCANNER_VERSION
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.selectors import INTERACTION_TABLE, NOTE_TABLE
from customers.services.records import customer_create
from customers.services.rescan import notes_rescan
from customers.tasks import rescan_notes
from tests.personas import SETUP, as_caller

pytestmark = pytest.mark.django_db

PAN = "4111111111111111"
OLD_CARD_NOTE = "Card 4111 1111 1111 1111 cvv 123 for the deposit"
MASKED_CARD_NOTE = "Card •••• 1111 cvv [card data removed] for the deposit"
OLD_PLAIN_NOTE = "Asked about opening hours"
# What the scanner version was before the scanner existed (the column's default).
UNSCANNED = 1


def make_customer(team: Team, name: str) -> Customer:
    return customer_create(caller=SETUP, team_id=team.pk, values={"name": name})


def legacy_note(customer: Customer, author: User, text: str) -> Note:
    """A note as written before the scanner existed: encrypted, but never scanned."""
    note = Note(customer=customer, author=author, scanned_version=UNSCANNED)
    note.body_enc = CustomerCipher(customer).seal(NOTE_TABLE, "body", note.pk, text)
    note.save(force_insert=True)
    return note


def legacy_interaction(customer: Customer, agent: User, text: str) -> Interaction:
    interaction = Interaction(
        customer=customer,
        agent=agent,
        channel="call",
        outcome="resolved",
        scanned_version=UNSCANNED,
    )
    if text:
        interaction.summary_enc = CustomerCipher(customer).seal(
            INTERACTION_TABLE, "summary", interaction.pk, text
        )
    interaction.save(force_insert=True)
    return interaction


def body_of(note: Note) -> str:
    note.refresh_from_db()
    return CustomerCipher(note.customer).open(NOTE_TABLE, "body", note.pk, note.body_enc)


def rescan(*arguments: str) -> str:
    out = StringIO()
    call_command("rescan_notes", *arguments, stdout=out)
    return out.getvalue()


def rescan_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="customers.notes_rescanned").order_by("id"))


def stored() -> dict[str, tuple[str, int]]:
    """Ciphertext and scanner version of every note and interaction, by id."""
    rows = {str(n.pk): (n.body_enc, n.scanned_version) for n in Note.objects.all()}
    for item in Interaction.objects.all():
        rows[str(item.pk)] = (item.summary_enc, item.scanned_version)
    return rows


@pytest.fixture
def legacy(team_a: Team, agent: User) -> dict[str, list[Note] | list[Interaction]]:
    """Five notes (two with card data) of two customers, and two interactions."""
    ann = make_customer(team_a, "Annika Lindqvist")
    bo = make_customer(team_a, "Bo Hallström")
    notes = [
        legacy_note(ann, agent, OLD_CARD_NOTE),
        legacy_note(ann, agent, OLD_PLAIN_NOTE),
        legacy_note(bo, agent, f"Second card {PAN} exp 01/29"),
        legacy_note(bo, agent, OLD_PLAIN_NOTE),
        legacy_note(bo, agent, "Will call back on Monday"),
    ]
    interactions = [
        legacy_interaction(ann, agent, "Read out 5500-0000-0000-0004 on the call"),
        legacy_interaction(bo, agent, ""),
    ]
    return {"notes": notes, "interactions": interactions}


def test_rescan_redacts_card_data_in_notes_written_before_the_scanner(
    legacy: dict[str, list[Note]],
) -> None:
    card_note, plain_note, second_card, *_ = legacy["notes"]
    plain_before = Note.objects.get(pk=plain_note.pk).body_enc
    rescan("--batch-size", "2")
    assert body_of(card_note) == MASKED_CARD_NOTE
    assert body_of(second_card) == "Second card •••• 1111 exp [card data removed]"
    # Only changed rows are re-encrypted: the plain note keeps its exact ciphertext.
    assert Note.objects.get(pk=plain_note.pk).body_enc == plain_before
    assert body_of(plain_note) == OLD_PLAIN_NOTE
    assert {version for _, version in stored().values()} == {CARD_SCANNER_VERSION}


def test_rescan_redacts_interaction_summaries(
    legacy: dict[str, list[Interaction]],
) -> None:
    with_card, empty = legacy["interactions"]
    rescan()
    with_card.refresh_from_db()
    cipher = CustomerCipher(with_card.customer)
    summary = cipher.open(INTERACTION_TABLE, "summary", with_card.pk, with_card.summary_enc)
    assert summary == "Read out •••• 0004 on the call"
    empty.refresh_from_db()
    assert (empty.summary_enc, empty.scanned_version) == ("", CARD_SCANNER_VERSION)


def test_rescan_prints_progress_after_each_batch(legacy: dict[str, list[Note]]) -> None:
    # Batches follow primary-key order; count what each one should find.
    in_order = sorted(legacy["notes"], key=lambda note: note.pk)
    has_card = [PAN[:4] in body_of(note) for note in in_order]
    expected = [
        f"notes: {scanned}/5 scanned, {sum(has_card[:scanned])} redacted" for scanned in (2, 4, 5)
    ]
    output = rescan("--batch-size", "2").splitlines()
    assert [line for line in output if line.startswith("notes: ") and "/" in line] == expected
    assert "interactions: 2/2 scanned, 1 redacted" in output
    assert any(line.startswith("notes: done; 5 scanned, 2 redacted") for line in output)


def test_rescan_records_one_audit_event_per_batch_with_counts_and_ids(
    legacy: dict[str, list[Note]],
) -> None:
    notes = legacy["notes"]
    rescan("--batch-size", "2")
    batches = rescan_events()
    assert [event.details["kind"] for event in batches] == ["notes"] * 3 + ["interactions"]
    assert {(event.actor_kind, event.actor_id) for event in batches} == {("system", "rescan_notes")}
    note_batches = [event.details for event in batches[:3]]
    assert [details["scanned"] for details in note_batches] == [2, 2, 1]
    redacted = {pk for details in note_batches for pk in details["redacted_ids"]}
    assert redacted == {str(notes[0].pk), str(notes[2].pk)}
    assert sum(details["cards"] for details in note_batches) == 2
    assert sum(details["cvv_or_expiry_removed"] for details in note_batches) == 2
    assert all(details["scanner_version"] == CARD_SCANNER_VERSION for details in note_batches)
    # Ids and counts only: no text of any note reaches the audit log.
    logged = json.dumps([event.details for event in AuditEvent.objects.all()])
    assert PAN not in logged
    assert "deposit" not in logged
    assert "opening hours" not in logged


def test_second_run_changes_nothing(legacy: dict[str, list[Note]]) -> None:
    rescan("--batch-size", "2")
    before, events_before = stored(), AuditEvent.objects.count()
    output = rescan("--batch-size", "2")
    assert stored() == before
    assert AuditEvent.objects.count() == events_before
    assert "notes: done; 0 scanned, 0 redacted" in output
    assert "interactions: done; 0 scanned, 0 redacted" in output


def test_interrupted_run_resumes_where_it_stopped(legacy: dict[str, list[Note]]) -> None:
    first = rescan("--batch-size", "2", "--max-batches", "1")
    assert "notes: 3 left for the next run; 2 scanned" in first
    rescan("--batch-size", "2")
    # Every note was scanned in exactly one batch, in key order, the second run going on
    # from where the first stopped.
    order = [str(pk) for pk in sorted(note.pk for note in legacy["notes"])]
    ranges = [
        (order.index(event.details["first_id"]), order.index(event.details["last_id"]))
        for event in rescan_events()
        if event.details["kind"] == "notes"
    ]
    assert ranges == [(0, 1), (2, 3), (4, 4)]
    assert body_of(legacy["notes"][0]) == MASKED_CARD_NOTE


def test_rows_already_at_the_current_scanner_version_are_skipped(team_a: Team, agent: User) -> None:
    customer = make_customer(team_a, "Cosima Varga")
    current = legacy_note(customer, agent, OLD_PLAIN_NOTE)
    Note.objects.filter(pk=current.pk).update(scanned_version=CARD_SCANNER_VERSION)
    old = legacy_note(customer, agent, OLD_CARD_NOTE)
    output = rescan()
    assert "notes: 1/1 scanned, 1 redacted" in output
    [batch] = [event for event in rescan_events() if event.details["kind"] == "notes"]
    assert (batch.details["first_id"], batch.details["last_id"]) == (str(old.pk), str(old.pk))


def test_row_failing_its_integrity_check_is_reported_and_left_for_the_next_run(
    legacy: dict[str, list[Note]],
) -> None:
    card_note, plain_note, *_ = legacy["notes"]
    # A value moved to another row must not decrypt there (its AAD names the original row).
    Note.objects.filter(pk=plain_note.pk).update(body_enc=card_note.body_enc)
    with pytest.raises(CommandError, match="1 rows failed their integrity check"):
        rescan()
    assert body_of(card_note) == MASKED_CARD_NOTE
    assert Note.objects.get(pk=plain_note.pk).scanned_version == UNSCANNED
    [failure] = AuditEvent.objects.filter(action="customer.integrity_failed")
    assert failure.outcome == "failed"
    assert failure.details == {"where": "notes_rescan", "row": str(plain_note.pk)}
    [batch] = [event for event in rescan_events() if event.details["kind"] == "notes"]
    assert batch.details["failed_ids"] == [str(plain_note.pk)]


@pytest.mark.parametrize("size", ["0", "-5", "10001"])
def test_batch_size_out_of_range_is_refused(size: str) -> None:
    with pytest.raises(CommandError, match="Give a whole number from 1 to 10000"):
        rescan("--batch-size", size)


def test_celery_task_takes_only_a_batch_size_and_reports_counts(
    legacy: dict[str, list[Note]],
) -> None:
    result = rescan_notes.delay(batch_size=2).get()
    assert result == {
        "notes": {"total": 5, "scanned": 5, "redacted": 2, "failed": 0, "done": True},
        "interactions": {"total": 2, "scanned": 2, "redacted": 1, "failed": 0, "done": True},
    }
    assert body_of(legacy["notes"][0]) == MASKED_CARD_NOTE
    assert {event.actor_id for event in rescan_events()} == {"customers.tasks.rescan_notes"}


def test_queries_per_batch_do_not_grow_with_its_rows(team_a: Team, agent: User) -> None:
    customers = [make_customer(team_a, f"Customer {number}") for number in range(3)]

    def queries_for(count: int) -> int:
        Note.objects.all().delete()
        for number in range(count):
            text = OLD_CARD_NOTE if number % 2 else OLD_PLAIN_NOTE
            legacy_note(customers[number % 3], agent, text)
        with CaptureQueriesContext(connection) as captured:
            rescan("--batch-size", "100")
        return len(captured.captured_queries)

    assert queries_for(4) == queries_for(24)


def test_only_the_system_rescans_and_a_person_is_refused_on_the_record(
    legacy: dict[str, list[Note]], supervisor: User
) -> None:
    with pytest.raises(AccessDeniedError):
        notes_rescan(caller=as_caller(supervisor))
    assert Note.objects.get(pk=legacy["notes"][0].pk).scanned_version == UNSCANNED
    assert rescan_events() == []
    [denied] = AuditEvent.objects.filter(action="access.denied")
    assert (denied.actor_kind, denied.actor_id) == ("user", str(supervisor.pk))
    assert denied.details == {
        "rule": "customers.rescan",
        "via": "page",
        "resource": "customers.note:all",
        "why": "people_not_allowed",
    }
