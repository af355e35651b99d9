"""No personal value in the audit log, its checkpoints and alerts, or the logs (invariant 4).

A working day runs through the HTTP layer and the services as an integrator, an agent, a
supervisor and a compliance officer, with customers whose every value is distinctive. Then
every stored event (all columns, the hashed canonical text and the details included), every
checkpoint, verification run and alert, and everything logged, is searched for each value in
the forms a leak would take: as typed, normalised (E.164 and digits-only phones, lowercased
emails, digits-only account and card numbers) and in parts (each name on its own).
"""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from accounts.models import Team, User
from audit.models import Alert, AuditEvent, Checkpoint, VerificationRun
from audit.search import EventFilter
from audit.services.reads import audit_exported
from audit.services.verification import audit_verify
from ccplatform.context import Actor, RequestInfo, request_context
from customers.models import Customer, Note
from customers.selectors import customer_history
from customers.services.notes import customer_note_add
from customers.services.records import customer_update
from customers.services.search import customers_search
from tests.actions import record
from tests.personas import LOGIN, as_caller, login_verified, make_integrator

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"
WORKSPACE = "/workspace/"
FIRST = {
    "name": "Wilhelmina Quarrington",
    "date_of_birth": "1958-02-17",
    "addresses": ["12 Pelican Causeway, Hobart"],
    "phones": ["+1 555 203 9911"],
    "emails": ["W.Quarrington@Example.org"],
    "account_number": "9931-4420-1177",
    "card_token": "tok_wq7731zz",
    "card_last4": "4242",
    "medical_notes": "Myasthenia gravis, on pyridostigmine",
}
SECOND = {
    "name": "Thaddeus Ovenden-Marsh",
    "phones": ["(555) 867-4410"],
    "emails": ["thad.om@example.net"],
    "account_number": "ACC 7712 0088 4455",
}
CARD = "4111 1111 1111 1111"
NOTE = f"Customer read out card {CARD} exp 04/29 cvv 737 for the Gazebo renewal"
NEW_EMAIL = "wq.private@example.com"
WRONG_PASSWORD = "Quarrington-1958 is my password"
# Every form a value could leak in, compared case-insensitively.
NEEDLES = (
    "Wilhelmina", "Quarrington", "1958-02-17", "Pelican Causeway", "Hobart",
    "+1 555 203 9911", "+15552039911", "5552039911", "w.quarrington@example.org",
    "9931-4420-1177", "993144201177", "tok_wq7731zz", "Myasthenia", "pyridostigmine",
    "Thaddeus", "Ovenden", "(555) 867-4410", "+15558674410", "5558674410", "thad.om@",
    "7712 0088 4455", "771200884455", CARD, CARD.replace(" ", ""), "Gazebo",
    NEW_EMAIL, WRONG_PASSWORD,
)  # fmt: skip


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [needle for needle in NEEDLES if needle.casefold() in folded]


def stored_audit_text() -> dict[str, str]:
    """Every row of the audit tables, all columns, as text per table."""
    return {
        model.__name__: json.dumps(list(model.objects.values()), default=str, ensure_ascii=False)
        for model in (AuditEvent, Checkpoint, VerificationRun, Alert)
    }


@pytest.fixture
def day(
    client: Client, team_a: Team, agent: User, supervisor: User, compliance_officer: User
) -> list[str]:
    """The working day; returns the actions it recorded (so the scan has something to scan)."""
    integrator = make_integrator("crm.push", scopes=("customers:read", "customers:write"))
    key = {"Authorization": f"Api-Key {integrator.key}"}
    api = Client()

    # The CRM pushes two customers, finds one by phone, reads it and changes an email.
    created = [
        api.post(
            API, {**values, "team": str(team_a.pk)}, content_type="application/json", headers=key
        )
        for values in (FIRST, SECOND)
    ]
    assert [response.status_code for response in created] == [201, 201], created[0].content
    first_id, second_id = (response.json()["id"] for response in created)
    found = api.post(f"{API}search/", {"kind": "phone", "value": "555-203-9911"},
                     content_type="application/json", headers=key)  # fmt: skip
    assert [row["id"] for row in found.json()["results"]] == [first_id]
    assert api.get(f"{API}{second_id}/", headers=key).status_code == 200
    patched = api.patch(f"{API}{first_id}/", {"emails": [NEW_EMAIL]},
                        content_type="application/json", headers=key)  # fmt: skip
    assert patched.status_code == 200

    # The agent searches the workspace by email and account number, opens the record,
    # reveals the name, writes a note with a full card number, and is refused medical notes.
    login_verified(client, agent)
    for kind, value in (("email", NEW_EMAIL.upper()), ("account_number", "ACC-7712-0088-4455")):
        assert client.post(WORKSPACE, {"kind": kind, "value": value}).status_code == 200
    page = f"{WORKSPACE}customers/{first_id}/"
    assert client.get(page).status_code == 200
    assert client.post(f"{page}reveal/", {"field": "name", "reason": "caller"}).status_code == 200
    assert client.post(f"{page}notes/", {"body": NOTE}).status_code in (200, 302)
    medical = client.post(f"{API}{first_id}/reveal/", {"fields": ["medical_notes"],
                          "reason": "curious"}, content_type="application/json")  # fmt: skip
    assert medical.status_code == 403

    # The supervisor reveals medical notes and phones through the API.
    boss = login_verified(Client(), supervisor)
    revealed = boss.post(f"{API}{first_id}/reveal/", {"fields": ["medical_notes", "phones"],
                         "reason": "care plan"}, content_type="application/json")  # fmt: skip
    assert revealed.status_code == 200
    assert "Myasthenia" in revealed.content.decode()  # the scan below is not vacuous

    # Someone types a customer's email and a password into the sign-in form.
    Client().post(LOGIN, {"username": FIRST["emails"][0], "password": WRONG_PASSWORD})

    # Services called directly, as tasks and other callers do.
    info = RequestInfo(request_id="scan-request-abcdef", ip="203.0.113.50", user_agent="ua")
    customer = Customer.objects.get(pk=second_id)
    with request_context(info):
        acting = as_caller(agent)
        customers_search(caller=acting, kind="email", value="Thad.OM@Example.NET")
        customer_note_add(caller=acting, customer=customer, body=NOTE)
        customer_update(caller=acting, customer=customer, values={"addresses": ["1 Gazebo Row"]})
        officer = as_caller(compliance_officer)
        audit_exported(caller=officer, event_filter=EventFilter(customer=first_id), fmt="csv")
        audit_verify(caller=officer, full=True, trigger="api")
    return list(AuditEvent.objects.values_list("action", flat=True))


def test_the_day_touched_every_kind_of_audited_action(day: list[str]) -> None:
    wanted = {
        "customer.created", "customer.searched", "customer.viewed", "customer.updated",
        "customer.revealed", "access.denied", "customer.note_added",
        "customer.card_data_redacted", "auth.password_failed", "audit.exported",
        "audit.verified",
    }  # fmt: skip
    assert wanted <= set(day)
    assert Checkpoint.objects.exists()


def test_no_stored_audit_row_holds_a_personal_value(day: list[str]) -> None:
    found = {table: leaks(text) for table, text in stored_audit_text().items()}
    assert found == {"AuditEvent": [], "Checkpoint": [], "VerificationRun": [], "Alert": []}


def test_the_notes_themselves_kept_no_card_number(day: list[str], agent: User) -> None:
    """The card number was masked before the note was stored, not only kept out of the log."""
    for customer in Customer.objects.filter(pk__in=Note.objects.values("customer")):
        history = customer_history(as_caller(agent), customer)
        bodies = " ".join(note["body"] for note in history["notes"])
        assert CARD not in bodies
        assert "Gazebo" in bodies  # the rest of the note is kept


def test_nothing_logged_holds_a_personal_value(
    caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    with caplog.at_level(logging.DEBUG):
        request.getfixturevalue("day")
    assert caplog.records, "the day should have logged something (requests, sign-in)"
    logged = "\n".join(
        f"{record.getMessage()} {json.dumps(record.__dict__, default=str)}"
        for record in caplog.records
    )
    assert leaks(logged) == []


def test_the_scan_finds_a_value_that_did_leak() -> None:
    # Names are beyond any scrubber (audit_record masks emails, phones and card numbers):
    # keeping them out is the producers' duty, and a reason that names someone is a leak.
    record(actor=Actor.system("scan-test"), action="platform.tested", reason="Quarrington")
    assert stored_audit_text()["AuditEvent"].count("Quarrington") >= 2  # column and canonical
    assert leaks(stored_audit_text()["AuditEvent"]) == ["Quarrington"]
