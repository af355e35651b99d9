"""The agent workspace pages through the Django test client: who may open what, search,
the masked customer page, and creating a customer; bad input gets a 400 with field errors
and nothing is written. Reveal, notes and interactions: test_workspace_actions.py.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import quote

import pytest
from django.test import Client

from accounts.models import Team, User
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from tests.customers.workspace_helpers import (
    CARD,
    PHONE,
    PHONE_E164,
    client_for,
    customer_fixture,  # noqa: F401 - registers the fixture
    events,
    make_customer,
    no_card_number,
    page_url,
)

pytestmark = pytest.mark.django_db


# --- Who may open the workspace ------------------------------------------------------------


def test_agent_opens_the_workspace_with_a_post_only_search_form(agent: User) -> None:
    response = client_for(agent).get("/workspace/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<form method="post" action="/workspace/"', html)
    assert '<label for="id_value">' in html


@pytest.mark.parametrize(
    "path",
    [
        "/workspace/",
        "/workspace/customers/new/",
        "/workspace/customers/{id}/",
    ],
)
@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_access_get_403_and_the_refusal_is_audited(
    request: pytest.FixtureRequest, persona: str, path: str, customer: Customer
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(path.format(id=customer.pk))
    assert response.status_code == 403
    assert b"Maria" not in response.content
    rule = "customers.create" if path.endswith("new/") else "customers.view"
    permission = "add_customer" if path.endswith("new/") else "view_customer"
    [denied] = events("access.denied", user)
    assert denied.outcome == "denied"
    assert (denied.target_type, denied.target_id) == ("page", f"GET {path.format(id=customer.pk)}")
    assert denied.details == {
        "rule": rule,
        "via": "page",
        "resource": f"GET {path.format(id=customer.pk)}",
        "why": f"missing_permission:customers.{permission}",
    }


@pytest.mark.parametrize("suffix", ["reveal/", "notes/", "interactions/"])
@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_access_cannot_post_to_a_customer(
    request: pytest.FixtureRequest, persona: str, suffix: str, customer: Customer
) -> None:
    user: User = request.getfixturevalue(persona)
    data = {"field": "phones", "reason": "x", "body": "x", "channel": "call", "outcome": "resolved"}
    response = client_for(user).post(page_url(customer.pk, suffix), data)
    assert response.status_code == 403
    rules = {
        "reveal/": "customers.reveal",
        "notes/": "customers.add_note",
        "interactions/": "customers.add_interaction",
    }
    [denied] = events("access.denied", user)
    assert denied.details["rule"] == rules[suffix]
    assert denied.details["resource"] == f"POST {page_url(customer.pk, suffix)}"
    assert not events("customer.revealed")
    assert not Note.objects.exists()
    assert not Interaction.objects.exists()


def test_signed_out_visitor_is_sent_to_sign_in(customer: Customer) -> None:
    response = Client().get(page_url(customer.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(page_url(customer.pk), safe='')}"
    assert not events("access.denied")  # nobody to name: logged, not audited


def test_home_links_the_workspace_only_for_people_with_customer_access(
    agent: User, compliance_officer: User
) -> None:
    assert b'href="/workspace/"' in client_for(agent).get("/").content
    assert b'href="/workspace/"' not in client_for(compliance_officer).get("/").content


# --- Search ----------------------------------------------------------------------------------


def test_search_by_phone_lists_the_masked_customer_and_is_audited(
    agent: User, customer: Customer
) -> None:
    response = client_for(agent).post("/workspace/", {"kind": "phone", "value": "(415) 555-0142"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 customer found" in html
    assert page_url(customer.pk) in html
    assert "M••• L•••" in html
    assert "•••• •• 0142" in html
    assert "Maria" not in html
    assert PHONE_E164 not in html
    assert "415 555 0142" not in html
    assert "(415) 555-0142" not in html
    event = events("customer.searched", agent)[-1]
    assert event.details == {"kind": "phone", "results": 1, "customers": [str(customer.pk)]}


def test_search_by_email_and_account_number_find_the_same_customer(
    agent: User, customer: Customer
) -> None:
    client = client_for(agent)
    for kind, value in [("email", "MARIA.LOPEZ@example.com"), ("account_number", "1234-5678")]:
        response = client.post("/workspace/", {"kind": kind, "value": value})
        assert response.status_code == 200
        assert page_url(customer.pk) in response.content.decode()


def test_search_never_runs_from_the_query_string(agent: User, customer: Customer) -> None:
    response = client_for(agent).get("/workspace/", {"kind": "phone", "value": PHONE})
    assert response.status_code == 200
    assert b"customer found" not in response.content
    assert events("customer.searched") == []


def test_search_finds_nobody_outside_the_callers_teams(
    other_agent: User, customer: Customer
) -> None:
    response = client_for(other_agent).post("/workspace/", {"kind": "phone", "value": PHONE})
    assert response.status_code == 200
    assert b"0 customers found" in response.content
    assert str(customer.pk).encode() not in response.content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "phone", "value": "not a phone"}, "value", "Enter a valid phone number"),
        ({"kind": "email", "value": "nobody-at-all"}, "value", "Enter a valid email address"),
        ({"kind": "account_number", "value": "12"}, "value", "4 to 34 digits"),
        ({"kind": "name", "value": "Maria"}, "kind", "Select a valid choice"),
        ({"kind": "phone", "value": ""}, "value", "This field is required"),
    ],
)
def test_bad_search_input_gets_400_with_the_field_error_and_no_search(
    agent: User, customer: Customer, data: dict[str, str], field: str, message: str
) -> None:
    response = client_for(agent).post("/workspace/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert re.search(
        rf'<fieldset class="choices has-error">|class="field has-error">\s*<label for="id_{field}"',
        html,
    )
    assert events("customer.searched") == []


def test_a_card_number_typed_into_the_search_box_is_not_shown_back(agent: User) -> None:
    response = client_for(agent).post("/workspace/", {"kind": "email", "value": CARD})
    assert response.status_code == 400
    assert no_card_number(response.content.decode())
    assert "•••• 1111" in response.content.decode()


# --- The customer page ---------------------------------------------------------------------


def test_agent_sees_the_masked_record_without_medical_fields_and_the_view_is_audited(
    agent: User, customer: Customer
) -> None:
    response = client_for(agent).get(page_url(customer.pk))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ["M••• L•••", "•••• •• 0142", "m•••@example.com", "••••5678", "•••• 1111"]:
        assert shown in html
    for hidden in ["Maria", "Lopez", PHONE_E164, "maria.lopez", "12345678"]:
        assert hidden not in html
    assert "Medical notes" not in html
    assert 'id="reason-phones"' in html
    assert [str(e.target_id) for e in events("customer.viewed", agent)] == [str(customer.pk)]


def test_supervisor_also_sees_medical_fields_masked(supervisor: User, customer: Customer) -> None:
    html = client_for(supervisor).get(page_url(customer.pk)).content.decode()
    assert "Medical notes" in html
    assert "Asthma" not in html
    assert 'id="reason-medical_notes"' in html


def test_agent_of_another_team_gets_the_same_404_as_for_a_missing_customer_and_it_is_audited(
    other_agent: User, customer: Customer
) -> None:
    client = client_for(other_agent)
    missing_id = uuid.uuid4()
    hidden = client.get(page_url(customer.pk))
    missing = client.get(page_url(missing_id))
    assert hidden.status_code == missing.status_code == 404

    not_an_id = client.get("/workspace/customers/not-a-uuid/")
    assert not_an_id.status_code == 404

    def body(content: bytes) -> str:
        # Only the request id and the CSRF token (masked anew for each page) differ.
        text = re.sub(r"<code>[^<]*</code>", "", content.decode())
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)

    assert body(hidden.content) == body(missing.content) == body(not_an_id.content)
    assert "Maria" not in body(hidden.content)
    denied = events("access.denied", other_agent)
    # Not an id at all does not reach the page (the URL takes a UUID): nothing to record.
    assert [e.target_id for e in denied] == [str(customer.pk), str(missing_id)]
    assert {e.outcome for e in denied} == {"denied"}
    assert {(e.details["rule"], e.details["why"]) for e in denied} == {
        ("customers.visible", "outside_scope_or_missing")
    }
    assert events("customer.viewed") == []


@pytest.mark.parametrize("suffix", ["reveal/", "notes/", "interactions/"])
def test_agent_of_another_team_cannot_post_to_a_hidden_customer(
    other_agent: User, customer: Customer, suffix: str
) -> None:
    data = {
        "field": "phones",
        "reason": "verify",
        "body": "hi",
        "channel": "call",
        "outcome": "resolved",
    }
    response = client_for(other_agent).post(page_url(customer.pk, suffix), data)
    assert response.status_code == 404
    [denied] = events("access.denied", other_agent)
    assert (denied.target_id, denied.details["rule"]) == (str(customer.pk), "customers.visible")
    assert not events("customer.revealed")
    assert not Note.objects.exists()
    assert not Interaction.objects.exists()


def test_a_tampered_record_shows_an_integrity_failure_and_is_audited(
    agent: User, team_a: Team, customer: Customer
) -> None:
    other = make_customer(team_a, name="Somebody Else")
    Customer.objects.filter(pk=customer.pk).update(name_enc=other.name_enc)
    response = client_for(agent).get(page_url(customer.pk))
    assert response.status_code == 409
    html = response.content.decode()
    assert "integrity check" in html
    assert "Somebody" not in html
    assert "Traceback" not in html
    event = events("customer.integrity_failed", agent)[-1]
    assert (event.target_id, event.outcome) == (str(customer.pk), "failed")


# --- Creating a customer -------------------------------------------------------------------


def test_agent_creates_a_customer_in_their_team(agent: User, team_a: Team) -> None:
    client = client_for(agent)
    form = client.get("/workspace/customers/new/")
    assert form.status_code == 200
    assert b"Medical notes" not in form.content  # agents have no medical permission
    response = client.post(
        "/workspace/customers/new/",
        {
            "team": str(team_a.pk),
            "name": "Noor Haddad",
            "date_of_birth": "1984-03-09",
            "phones": "+44 20 7946 0958\n\n+1 415 555 0199",
            "emails": "noor@example.com",
            "account_number": "9876 5432",
            "card_last4": "4242",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert response["Location"] == page_url(customer.pk)
    assert customer.team == team_a
    assert CustomerCipher(customer).decrypt("phones") == ["+442079460958", "+14155550199"]
    assert CustomerCipher(customer).decrypt("date_of_birth") == dt.date(1984, 3, 9)
    event = events("customer.created", agent)[-1]
    assert event.target_id == str(customer.pk)
    assert "Noor" not in str(event.details)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"phones": "call me maybe"}, "phones"),
        ({"emails": "not-an-email"}, "emails"),
        ({"date_of_birth": "2199-01-01"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"card_last4": "12a4"}, "card_last4"),
        ({"account_number": "12"}, "account_number"),
    ],
)
def test_bad_customer_input_gets_400_with_the_field_error_and_nothing_is_written(
    agent: User, team_a: Team, data: dict[str, str], field: str
) -> None:
    posted = {"team": str(team_a.pk), "name": "Noor Haddad", **data}
    response = client_for(agent).post("/workspace/customers/new/", posted)
    assert response.status_code == 400
    assert re.search(
        rf'class="field has-error">\s*<label for="id_{field}"', response.content.decode()
    )
    assert not Customer.objects.exists()
    assert events("customer.created") == []


def test_agent_cannot_create_a_customer_in_another_team(agent: User, team_b: Team) -> None:
    response = client_for(agent).post(
        "/workspace/customers/new/", {"team": str(team_b.pk), "name": "Noor Haddad"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert not Customer.objects.exists()


def test_a_refused_customer_form_does_not_echo_a_card_number(agent: User, team_a: Team) -> None:
    response = client_for(agent).post(
        "/workspace/customers/new/",
        {"team": str(team_a.pk), "name": "", "addresses": f"1 Main St {CARD}"},
    )
    assert response.status_code == 400
    assert no_card_number(response.content.decode())
