"""import_customers: streamed, validated bulk import with line-numbered errors, in two modes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, Team, User
from audit.models import AuditEvent
from ccplatform.crypto.blind_index import LookupKind
from ccplatform.crypto.data_keys import data_key_unwrap
from ccplatform.crypto.providers import key_provider
from ccplatform.errors import AccessDeniedError
from customers.crypto import CustomerCipher
from customers.import_rows import MAX_LINE_BYTES, SourceRow, rows_from_csv
from customers.models import Customer, CustomerLookup
from customers.services.importing import customers_import
from customers.services.search import customers_search
from tests.actions import record
from tests.personas import SETUP, as_caller, make_person

pytestmark = pytest.mark.django_db

HEADER = "name,phones,emails,account_number,date_of_birth,addresses\n"
GOOD_CSV = (
    HEADER + "Ada Lovelace,+1 202 555 0101|+1 202 555 0102,ada@example.com,1234-5678-90,1985-12-10,"
    '"12 Main St, Springfield"\n' + "Alan Turing,(202) 555-0103,alan@example.com,,,\n"
)
BAD_PHONE = "not-a-phone-4417"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(path: Path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_customers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _import_failing(path: Path, *args: str) -> tuple[str, str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_customers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(raised.value)


def _reader(team: Team) -> User:
    """A supervisor of `team`: who searches the team's imported customers."""
    username = f"reader.{team.pk.hex[:8]}"
    return User.objects.filter(username=username).first() or make_person(
        username, Role.SUPERVISOR, team
    )


def _found(team: Team, kind: LookupKind, value: str) -> list[Customer]:
    return customers_search(caller=as_caller(_reader(team)), kind=kind, value=value)


def _generated_csv(tmp_path: Path, rows: int, *, bad_lines: frozenset[int] = frozenset()) -> Path:
    path = tmp_path / "generated.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for number in range(rows):
            line = number + 2  # the header is line 1
            phone = BAD_PHONE if line in bad_lines else f"+1 202 555 {number:04d}"
            handle.write(f"Customer {number},{phone},c{number}@example.com,,,\n")
    return path


def test_good_csv_loads_every_row_encrypted_and_searchable_by_phone(
    team_a: Team, tmp_path: Path
) -> None:
    out, err = _import(_write(tmp_path, "customers.csv", GOOD_CSV), "--team", "Team A")

    assert "loaded 2, rejected 0" in out
    assert err == ""
    [ada] = _found(team_a, LookupKind.PHONE, "202-555-0102")
    cipher = CustomerCipher(ada)
    assert cipher.decrypt("name") == "Ada Lovelace"
    assert cipher.decrypt("phones") == ["+12025550101", "+12025550102"]
    assert cipher.decrypt("addresses") == ["12 Main St, Springfield"]
    assert str(cipher.decrypt("date_of_birth")) == "1985-12-10"
    assert "Ada" not in ada.name_enc
    [alan] = _found(team_a, LookupKind.EMAIL, "ALAN@example.com")
    assert CustomerCipher(alan).decrypt("name") == "Alan Turing"
    assert _found(team_a, LookupKind.ACCOUNT_NUMBER, "1234567890") == [ada]


def test_every_imported_customer_gets_its_own_data_key(team_a: Team, tmp_path: Path) -> None:
    _import(_write(tmp_path, "customers.csv", GOOD_CSV), "--team", "Team A")

    customers = list(Customer.objects.all())
    assert len(customers) == 2
    assert len({customer.data_key_id for customer in customers}) == 2
    assert len({data_key_unwrap(customer) for customer in customers}) == 2
    for customer in customers:
        assert customer.data_key_kek_version == key_provider().active_version
        assert customer.name_enc.split(".")[1] == str(customer.data_key_id)


def test_jsonl_loads_objects_with_lists(team_a: Team, tmp_path: Path) -> None:
    lines = [
        {"name": "Grace Hopper", "phones": ["+1 202 555 0111"], "emails": "grace@example.com"},
        {"name": "Edsger Dijkstra", "card_last4": "1111", "card_token": "tok_visa_9f8e"},
    ]
    path = _write(tmp_path, "customers.jsonl", "\n".join(json.dumps(line) for line in lines))

    out, _ = _import(path, "--team", "Team A")

    assert "loaded 2, rejected 0" in out
    [grace] = _found(team_a, LookupKind.PHONE, "+12025550111")
    assert CustomerCipher(grace).decrypt("emails") == ["grace@example.com"]


def test_bad_rows_are_reported_by_line_and_field_and_the_good_rows_loaded(
    team_a: Team, tmp_path: Path
) -> None:
    text = (
        GOOD_CSV
        + f"Bad Phone,{BAD_PHONE},bp@example.com,,,\n"  # line 4
        + "Bad Date,+1 202 555 0104,,,1990-02-31,\n"  # line 5
        + ",+1 202 555 0105,,,,\n"  # line 6
        + "Too,many,cells,in,this,row,here\n"  # line 7
        + "Last Good,+1 202 555 0106,,,,\n"
    )

    out, err, message = _import_failing(_write(tmp_path, "c.csv", text), "--team", "Team A")

    assert "loaded 3, rejected 4" in out
    assert "4 rows were rejected (the other rows were loaded)" in message
    assert "line 4: phones: Enter a valid phone number" in err
    assert "line 5: date_of_birth: Enter a date as YYYY-MM-DD." in err
    assert "line 6: name: A name is required." in err
    assert "line 7: The row has 7 cells; the header has 6." in err
    assert BAD_PHONE not in err + out + message
    assert Customer.objects.count() == 3
    assert _found(team_a, LookupKind.PHONE, "+1 202 555 0106")


def test_all_or_nothing_loads_nothing_when_a_row_is_bad(team_a: Team, tmp_path: Path) -> None:
    text = GOOD_CSV + f"Bad Phone,{BAD_PHONE},,,,\n" + "Good Again,+1 202 555 0107,,,,\n"

    out, err, message = _import_failing(
        _write(tmp_path, "c.csv", text), "--team", "Team A", "--all-or-nothing", "--batch-size", "1"
    )

    assert "loaded 0, rejected 1 (3 valid rows not loaded: all or nothing)" in out
    assert "nothing was loaded" in message
    assert "line 4: phones:" in err
    assert not Customer.objects.exists()
    assert not CustomerLookup.objects.exists()
    assert not AuditEvent.objects.filter(action="customers.imported").exists()
    failure = AuditEvent.objects.get(action="customers.import_failed")
    assert failure.outcome == "failed"
    assert failure.target_id == str(team_a.pk)
    assert failure.details["why"] == "rows_rejected"
    assert failure.details["rejected_lines"] == [4]


def test_all_or_nothing_loads_everything_when_every_row_is_good(
    team_a: Team, tmp_path: Path
) -> None:
    out, _ = _import(_write(tmp_path, "c.csv", GOOD_CSV), "--team", "Team A", "--all-or-nothing")

    assert "loaded 2, rejected 0" in out
    assert Customer.objects.count() == 2


def test_a_bad_csv_header_is_a_readable_error_and_loads_nothing(
    team_a: Team, tmp_path: Path
) -> None:
    path = _write(tmp_path, "c.csv", "nam,phone,phones,phones\nAda,x,y,z\n")

    _, _, message = _import_failing(path, "--team", "Team A")

    assert "Line 1 (the header) is not valid" in message
    assert "unknown columns 'nam', 'phone'" in message
    assert "repeated columns 'phones'" in message
    assert "no 'name' column" in message
    assert not Customer.objects.exists()
    assert AuditEvent.objects.get(action="customers.import_failed").details["why"] == (
        "file_unreadable"
    )


def test_an_empty_file_is_a_readable_error(team_a: Team, tmp_path: Path) -> None:
    _, _, message = _import_failing(_write(tmp_path, "c.csv", ""), "--team", "Team A")

    assert "The file is empty" in message


def test_invalid_json_lines_are_rejected_by_line_number(team_a: Team, tmp_path: Path) -> None:
    text = (
        '{"name": "Grace Hopper"}\n'
        '{"name": "Broken",\n'
        "[1, 2]\n"
        '{"name": "Odd", "shoe_size": "9"}\n'
        '{"name": 5}\n'
        "\n"
        '{"name": "Last Good"}\n'
    )

    out, err, _ = _import_failing(_write(tmp_path, "c.jsonl", text), "--team", "Team A")

    assert "loaded 2, rejected 4" in out
    assert "line 2: Not valid JSON (" in err
    assert "line 3: Each line must be a JSON object." in err
    assert "line 4: shoe_size: Unknown field." in err
    assert "line 5: name: Give a text value." in err


def test_broken_csv_quoting_stops_with_the_line_and_keeps_rows_read_before_it(
    team_a: Team, tmp_path: Path
) -> None:
    text = GOOD_CSV + 'Unclosed,"+1 202 555 0108,,,,\n'

    out, _, message = _import_failing(_write(tmp_path, "c.csv", text), "--team", "Team A")

    assert "Line 4: the CSV is malformed" in message
    assert "loaded 2, rejected 0, then stopped." in out
    assert Customer.objects.count() == 2


def test_broken_csv_quoting_in_all_or_nothing_mode_loads_nothing(
    team_a: Team, tmp_path: Path
) -> None:
    text = GOOD_CSV + 'Unclosed,"+1 202 555 0108,,,,\n'

    _, _, message = _import_failing(
        _write(tmp_path, "c.csv", text), "--team", "Team A", "--all-or-nothing"
    )

    assert "the CSV is malformed" in message
    assert not Customer.objects.exists()


def test_a_file_that_is_not_utf8_is_a_readable_error(team_a: Team, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER.encode() + "Zoë,+1 202 555 0109,,,,\n".encode("latin-1"))

    _, _, message = _import_failing(path, "--team", "Team A")

    assert "Line 2: the file is not UTF-8 text." in message
    assert not Customer.objects.exists()


def test_a_line_beyond_the_length_limit_is_refused_without_reading_the_file_whole(
    team_a: Team, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(HEADER.encode() + b"x" * (MAX_LINE_BYTES + 10) + b"\r" * 5)

    _, _, message = _import_failing(path, "--team", "Team A")

    assert f"Line 2 is longer than {MAX_LINE_BYTES:,} bytes." in message


def test_quoted_line_breaks_keep_later_line_numbers_right(team_a: Team, tmp_path: Path) -> None:
    text = HEADER + 'Ada,+1 202 555 0101,,,,"line one\nline two"\n' + f"Bad,{BAD_PHONE},,,,\n"

    _, err, _ = _import_failing(_write(tmp_path, "c.csv", text), "--team", "Team A")

    assert "line 4: phones:" in err


def test_a_spreadsheet_byte_order_mark_is_accepted(team_a: Team, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.encode())

    out, _ = _import(path, "--team", "Team A")

    assert "loaded 2, rejected 0" in out


def test_one_audit_event_per_batch_with_counts_and_ids_never_values(
    team_a: Team, tmp_path: Path
) -> None:
    path = _generated_csv(tmp_path, 2500, bad_lines=frozenset({7, 1300}))

    with pytest.raises(CommandError):
        _import(path, "--team", "Team A", "--batch-size", "250")

    events = list(AuditEvent.objects.filter(action="customers.imported").order_by("id"))
    assert len(events) == 10
    assert [event.details["batch"] for event in events] == list(range(1, 11))
    assert sum(event.details["loaded"] for event in events) == 2498
    assert events[0].details["rejected_lines"] == [7]
    assert events[5].details["rejected_lines"] == [1300]
    assert {event.actor_id for event in events} == {"import_customers"}
    assert {event.target_id for event in events} == {str(team_a.pk)}
    imported_ids = {cid for event in events for cid in event.details["customers"]}
    assert imported_ids == {str(pk) for pk in Customer.objects.values_list("pk", flat=True)}
    dumped = json.dumps([event.details for event in events])
    assert "Customer 12" not in dumped
    assert "example.com" not in dumped
    assert "202 555" not in dumped
    assert "+1202555" not in dumped


def test_audit_details_keep_customer_ids_whose_digits_pass_the_card_check(
    team_a: Team, tmp_path: Path
) -> None:
    # The last group is a Luhn-valid 12-digit run: audit scrubbing must not take it for a card.
    customer_id = "2eeebf19-cf52-4050-b5da-100000000008"

    record(
        actor=SETUP.actor,
        action="customers.imported",
        target=team_a,
        details={"customers": [customer_id]},
    )

    event = AuditEvent.objects.get(action="customers.imported")
    assert event.details["customers"] == [customer_id]


def test_rows_are_saved_batch_by_batch_as_the_file_is_read(team_a: Team) -> None:
    """Streaming: each batch is saved before the next rows are even read."""
    read = 0
    read_when_saved: list[int] = []

    def rows() -> Iterator[SourceRow]:
        nonlocal read
        for number in range(1000):
            read += 1
            yield SourceRow(number + 2, {"name": f"Customer {number}"})

    report = customers_import(
        caller=SETUP,
        team=team_a,
        rows=rows(),
        batch_size=100,
        progress=lambda report: read_when_saved.append(read),
    )

    assert report.batches == 10
    assert report.loaded == Customer.objects.count() == 1000
    assert read_when_saved == [100 * batch for batch in range(1, 11)]


def test_the_csv_reader_is_lazy() -> None:
    def lines() -> Iterator[str]:
        yield "name\n"
        yield "Ada\n"
        raise AssertionError("read past the first row")

    first = next(rows_from_csv(lines()))

    assert (first.line, first.values) == (2, {"name": "Ada"})


def test_a_few_thousand_rows_import_in_the_expected_number_of_batches(
    team_a: Team, tmp_path: Path
) -> None:
    out, _ = _import(
        _generated_csv(tmp_path, 3000), "--team", "Team A", "--batch-size", "200", "-v", "2"
    )

    assert "loaded 3000, rejected 0" in out
    assert out.count("batch ") == 15
    assert AuditEvent.objects.filter(action="customers.imported").count() == 15
    assert Customer.objects.count() == 3000
    assert CustomerLookup.objects.count() == 6000
    assert _found(team_a, LookupKind.PHONE, "+1 202 555 2999")


def test_an_unknown_team_is_refused(db: None, tmp_path: Path) -> None:
    _, _, message = _import_failing(_write(tmp_path, "c.csv", GOOD_CSV), "--team", "Nobody")

    assert message == "There is no team named 'Nobody'."


def test_a_missing_file_is_refused(team_a: Team, tmp_path: Path) -> None:
    _, _, message = _import_failing(tmp_path / "absent.csv", "--team", "Team A")

    assert message.startswith("Cannot open")
    assert "No such file" in message


def test_an_unknown_extension_needs_a_format(team_a: Team, tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.txt", GOOD_CSV)

    _, _, message = _import_failing(path, "--team", "Team A")
    out, _ = _import(path, "--team", "Team A", "--format", "csv")

    assert "pass --format" in message
    assert "loaded 2, rejected 0" in out


def test_a_batch_size_out_of_range_is_refused(team_a: Team, tmp_path: Path) -> None:
    _, _, message = _import_failing(
        _write(tmp_path, "c.csv", GOOD_CSV), "--team", "Team A", "--batch-size", "0"
    )

    assert "batch size must be between 1 and" in message
    assert not Customer.objects.exists()


def test_only_the_system_imports_and_a_person_is_refused_on_the_record(
    team_a: Team, supervisor: User
) -> None:
    rows = [SourceRow(2, {"name": "Ada Lovelace"})]

    with pytest.raises(AccessDeniedError):
        customers_import(caller=as_caller(supervisor), team=team_a, rows=rows)

    assert not Customer.objects.exists()
    assert not AuditEvent.objects.filter(action="customers.imported").exists()
    (denied,) = AuditEvent.objects.filter(action="access.denied")
    assert (denied.actor_kind, denied.actor_id) == ("user", str(supervisor.pk))
    assert (denied.target_type, denied.target_id) == ("accounts.team", str(team_a.pk))
    assert denied.details == {
        "rule": "customers.import",
        "via": "page",
        "resource": f"accounts.team:{team_a.pk}",
        "why": "people_not_allowed",
    }
