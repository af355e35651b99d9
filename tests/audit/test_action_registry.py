"""The action registry (audit/actions.py): every action declared once, with category and
severity; producers record declarations, never strings; monitoring selects by category; the
API documents the actions from the registry."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from audit.actions import (
    ACCESS_DENIED,
    INFO,
    Action,
    ActionSeverity,
    Category,
    UndeclaredActionError,
    catalogue,
    declare,
    declared,
    names_in,
)
from audit.models import AuditEvent
from audit.search import naming_actions
from audit.services import audit_record
from ccplatform.context import Actor
from tests.actions import TESTED
from tests.personas import login_verified

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ccplatform", "audit", "accounts", "customers", "retention", "incidents", "demo")
TEST_ONLY = {TESTED.name}
ACTOR = Actor.system("registry-test")


def _product_files() -> list[Path]:
    return [
        path
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


# --- Declaring ------------------------------------------------------------------------------


def test_every_declared_action_has_a_dotted_name_a_category_a_severity_and_a_summary() -> None:
    actions = catalogue()
    assert len(actions) >= 60
    for action in actions:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", action.name)
        assert isinstance(action.category, Category)
        assert isinstance(action.severity, ActionSeverity)
        assert action.summary.endswith(".")
    assert len({action.name for action in actions}) == len(actions)


def test_an_action_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        declare("customer.viewed", Category.RECORD_READ, INFO, "Again.")


@pytest.mark.parametrize("name", ["customer", "Customer.Viewed", "customer.", "customer viewed"])
def test_a_name_that_is_not_a_dotted_verb_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="dotted verb"):
        declare(name, Category.RECORD_READ, INFO, "A summary.")


def test_a_lookup_of_an_undeclared_name_fails_loudly() -> None:
    assert declared("customer.viewed").category is Category.RECORD_READ
    with pytest.raises(UndeclaredActionError):
        declared("customer.reveal_denied")  # named by old API docs; never declared


# --- Recording ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_a_string_or_a_look_alike_action_fails_and_writes_nothing() -> None:
    look_alike = Action("customer.viewed", Category.RECORD_READ, INFO, "Not from the registry.")
    for wrong in ("customer.viewed", look_alike):
        with pytest.raises(UndeclaredActionError):
            audit_record(actor=ACTOR, action=wrong)  # type: ignore[arg-type]
    assert not AuditEvent.objects.filter(actor_id=ACTOR.id).exists()
    audit_record(actor=ACTOR, action=ACCESS_DENIED, outcome="denied")
    assert AuditEvent.objects.get(actor_id=ACTOR.id).action == "access.denied"


def _action_arguments() -> list[tuple[str, ast.expr]]:
    """Every `action=` argument of an audit_record(...) call in the product code."""
    found = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "audit_record":
                found += [
                    (f"{path.relative_to(ROOT)}:{node.lineno}", keyword.value)
                    for keyword in node.keywords
                    if keyword.arg == "action"
                ]
    return found


def test_the_product_records_declared_actions_never_strings_or_f_strings() -> None:
    arguments = _action_arguments()
    assert len(arguments) >= 50
    literal = [
        where for where, value in arguments if isinstance(value, ast.Constant | ast.JoinedStr)
    ]
    assert literal == []


def test_every_declared_action_is_recorded_somewhere_in_the_product() -> None:
    text = "\n".join(path.read_text() for path in _product_files())
    modules = {"accounts.actions", "customers.actions", "audit.actions"}
    unused = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for constant, value in vars(module).items():
            # The declaration itself is one mention; a producer is another.
            declared_only = len(re.findall(rf"\b{constant}\b", text)) < 2
            if isinstance(value, Action) and value.name not in TEST_ONLY and declared_only:
                unused.append(value.name)
    assert unused == []


# --- Monitoring and search select by category ----------------------------------------------


@pytest.mark.parametrize(
    "category",
    [
        Category.SIGN_IN_FAILURE,
        Category.LOCKOUT,
        Category.RECORD_READ,
        Category.RECORD_REVEALED,
        Category.RECORDS_NAMED,
        Category.ACCESS_DENIED,
    ],
)
def test_each_category_a_monitoring_rule_or_search_uses_has_actions(category: Category) -> None:
    assert names_in(category)


def test_the_named_customers_index_covers_exactly_the_records_named_actions() -> None:
    migration = (ROOT / "audit/migrations/0005_customers_named_index.py").read_text()
    indexed = re.search(r'_create\(schema_editor, "(.+)"\)\n\n\ndef backward', migration)
    assert indexed is not None
    assert tuple(sorted(re.findall(r"'([a-z_.]+)'", indexed.group(1)))) == naming_actions()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial index is PostgreSQL's")
def test_the_live_index_predicate_names_the_records_named_actions() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_event_listed_customers'"
        )
        (definition,) = cursor.fetchone()
    assert tuple(sorted(re.findall(r"'([a-z_.]+)'", definition))) == naming_actions()


# --- The API documents the registry --------------------------------------------------------


@pytest.mark.django_db
def test_the_actions_endpoint_lists_every_declared_action(compliance_officer: User) -> None:
    response = login_verified(Client(), compliance_officer).get("/api/v1/audit/actions/")
    assert response.status_code == 200
    listed = {row["name"]: row for row in response.json()["results"]}
    assert set(listed) == {action.name for action in catalogue()}
    assert listed["customer.revealed"] == {
        "name": "customer.revealed",
        "category": "record_revealed",
        "severity": "notice",
        "summary": declared("customer.revealed").summary,
    }


@pytest.mark.django_db
def test_the_actions_endpoint_refuses_people_without_the_log(agent: User) -> None:
    response = login_verified(Client(), agent).get("/api/v1/audit/actions/")
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_api_schema_documents_every_action_from_the_registry() -> None:
    schema = Client().get("/api/schema/?format=json").json()
    description = schema["paths"]["/api/v1/audit/actions/"]["get"]["description"]
    # Built once, from the declarations every app makes at start (not the tests' own).
    product = [action.name for action in catalogue() if action.name not in TEST_ONLY]
    missing = [name for name in product if f"`{name}`" not in description]
    assert missing == []
    assert "reveal_denied" not in str(schema)
