"""Completeness of the audit log: every service writes exactly the events it owes, fully filled.

DESIGN.md invariants 1 and 3: every write of personal or security data, and every read of a
sensitive field, records an event (actor, action, target, outcome, time, IP, request id) in
the same transaction. The catalogue lists the services with their preconditions: its
machinery is tests/audit/service_catalogue.py, its entries the catalogue_* modules beside it
(accounts, customers, sign-in, platform and audit, incidents), imported here so that every
entry is registered before the tests are collected. This module runs each entry inside a
request context and guards the list itself: a public function in a service module must be
in the catalogue or in ALLOW_LIST below, with its reason.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

import accounts.services
import audit.services
import customers.services
import incidents.services
from accounts.models import Role, Team
from audit.models import AuditEvent
from audit.services import AuditTarget, reads
from ccplatform.context import RequestInfo, request_context
from customers.services.records import customer_create
from incidents.services import register
from tests.audit.service_catalogue import CATALOGUE, Case, World
from tests.personas import SETUP, login_verified, make_integrator, make_person

# The catalogue modules register their entries when imported, in this order: the order the
# runner's cases are collected and run in (kept out of the import sorting for that reason).
# isort: off
from tests.audit import (  # noqa: F401
    catalogue_accounts,
    catalogue_customers,
    catalogue_signin,
    catalogue_audit,
    catalogue_incidents,
    catalogue_incident_response,
)
# isort: on

pytestmark = pytest.mark.django_db

REQUEST = RequestInfo(request_id="completeness-req-abcdef", ip="198.51.100.23", user_agent="ua/1")


# --- Running the catalogue -----------------------------------------------------------------


@pytest.fixture
def world(settings: Settings, tmp_path: Path, team_a: Team) -> Iterator[World]:
    agent = make_person("agent.ann", Role.AGENT, team_a)
    made = World(
        team=team_a,
        agent=agent,
        other_agent=make_person("agent.bob", Role.AGENT, Team.objects.create(name="Team B")),
        supervisor=make_person("super.sue", Role.SUPERVISOR, team_a),
        security_admin=make_person("sec.sam", Role.SECURITY_ADMIN),
        compliance_officer=make_person("comply.carl", Role.COMPLIANCE_OFFICER),
        service_account=make_integrator("crm.sync").user,
        customer=customer_create(
            caller=SETUP,
            team_id=team_a.pk,
            values={"name": "Catalogue Person", "phones": ["555 010 4477"]},
        ),
        settings=settings,
        tmp_path=tmp_path,
    )
    with made.contexts:
        yield made


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, AuditTarget):
        return target.type, target.id
    return target._meta.label_lower, str(target.pk)


def _params() -> list[Any]:
    marks = lambda case: [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []  # noqa: E731
    return [pytest.param(case, id=case.id, marks=marks(case)) for case in CATALOGUE]


@pytest.mark.parametrize("case", _params())
def test_service_records_exactly_its_events(case: Case, world: World) -> None:
    call = case.prepare(world)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()
    with request_context(REQUEST):
        expected = call()
    finished = timezone.now()

    written = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [event.action for event in written] == list(case.actions)
    expectations = expected if isinstance(expected, tuple) else (expected,) * len(written)
    for event, expect in zip(written, expectations, strict=True):
        assert (event.actor_kind, event.actor_id) == (expect.actor.kind, expect.actor.id)
        assert (event.target_type, event.target_id) == _target(expect.target)
        assert event.outcome == expect.outcome
        if expect.details is not None:
            assert event.details == expect.details
        assert started <= event.occurred_at <= finished
        assert (event.request_id, event.ip, event.user_agent) == (
            REQUEST.request_id,
            REQUEST.ip,
            REQUEST.user_agent,
        )


def test_every_exception_to_one_event_says_why() -> None:
    unexplained = [case.id for case in CATALOGUE if len(case.actions) != 1 and not case.why]
    assert unexplained == []
    assert len({case.id for case in CATALOGUE}) == len(CATALOGUE)


# --- The guard: no public service function without a decision about its audit -------------

# Besides every module of the services packages (accounts, customers, audit, incidents): key
# rotation, the export's formatting, and the customer selectors (they decrypt for pages, the
# API and the incidents' regions of residence).
SERVICE_PACKAGES = (accounts.services, customers.services, audit.services, incidents.services)
EXTRA_MODULES = ("ccplatform.crypto.rotation", "audit.exporting", "customers.selectors")
NO_PERSONAL_DATA = "touches no personal or security data"
# Public functions that need no event of their own, each with the reason. Anything that
# writes or reads personal or security data belongs in the catalogue instead (with an
# explicit empty `actions` and a reason when it records nothing itself).
ALLOW_LIST = {
    "accounts.services.mfa.confirmed_totp_device": "selector: whether a device exists",
    "accounts.services.sessions.session_public_id": "a hash of the session key, for display",
    # Writing a batch's rows (COPY or bulk_create) inside customers_import_batch, which audits.
    "customers.services.copying.copy_supported": "whether COPY is available",
    "customers.services.copying.copy_rows": "writes rows for customers_import_batch",
    "customers.services.copying.insert_many": "writes rows for customers_import_batch",
    "customers.services.rescan.RescanProgress.line": "counts as text",
    # Key rotation: registry, reports (counts and row ids) and instructions.
    "customers.services.rotation.CustomerLookupRecompute.pending": "a count",
    "customers.services.rotation.CustomerLookupRecompute.report": "counts and customer ids",
    "ccplatform.crypto.rotation.keyring": "reads a setting",
    "ccplatform.crypto.rotation.by_version": "sorts version names",
    "ccplatform.crypto.rotation.register": "the job registry",
    "ccplatform.crypto.rotation.rotation_jobs": "the job registry",
    "ccplatform.crypto.rotation.rotation_job": "the job registry",
    "ccplatform.crypto.rotation.environment_instructions": "help text",
    "ccplatform.crypto.rotation.RotationJob.pending": "abstract; implementations listed",
    "ccplatform.crypto.rotation.RotationJob.batch": "abstract; implementations catalogued",
    "ccplatform.crypto.rotation.RotationJob.report": "abstract; implementations listed",
    "ccplatform.crypto.rotation.DataKeyRewrap.pending": "a count",
    "ccplatform.crypto.rotation.DataKeyRewrap.report": "counts and row ids",
    "ccplatform.crypto.rotation.DataKeyRewrap.record_batch": "abstract; implementations catalogued",
    # Export formatting of events already recorded; the export itself is audit_exported.
    "audit.exporting.event_record": "formats a recorded event",
    "audit.exporting.spreadsheet_safe": "formats a cell",
    "audit.exporting.csv_lines": "formats recorded events",
    "audit.exporting.json_line": "formats a recorded event",
    "audit.exporting.jsonl_lines": "formats recorded events",
    "audit.exporting.streaming_export": "streams what the caller recorded with audit_exported",
    "audit.exporting.filter_summary": "the filter as text for audit_exported and audit_searched",
    # Which customers a caller reaches: a queryset, nothing decrypted; what is shown of them
    # is recorded by customer_get_for's callers, customers_listed and customers_search.
    "customers.selectors.customers_visible_to": "a queryset of the customers a caller reaches",
    # The incident workflow's pure steps: facts in, an answer out; the services that call
    # them (catalogued) record what comes of it.
    "incidents.services.register.name_clear": "whether fields passed their checks",
    "incidents.services.timeline.clean_text": "text stripped, card numbers masked",
    "incidents.services.workflow.next_status": "the step after the current one",
    "incidents.services.workflow.missing_for": "what a step still needs, as field errors",
    "incidents.services.planning.clients_of": "the clients of an incident's teams",
    "incidents.services.planning.facts_of": "what the notification rules read",
    "incidents.services.drafts.draft_for": "a notice's draft text: counts, never a person",
    "incidents.services.reminders.marks_reached": "which marks of a clock are due",
    "incidents.services.affected.collect": "touches grouped by customer id",
    "incidents.services.affected.counts_of": "counts per category and region",
    "incidents.services.containment.contain": "dispatches to one contain_* service (each one "
    "catalogued) by the action's name",
}


def _service_modules() -> list[ModuleType]:
    names = [
        f"{package.__name__}.{info.name}"
        for package in SERVICE_PACKAGES
        for info in pkgutil.iter_modules(package.__path__)
    ]
    return [importlib.import_module(name) for name in (*names, *EXTRA_MODULES)]


def _public_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """Functions defined in `module`, and methods of classes defined there, by dotted name."""
    found: dict[str, Callable[..., Any]] = {}
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            found[f"{module.__name__}.{name}"] = value
        elif inspect.isclass(value):
            for attribute, member in vars(value).items():
                if not attribute.startswith("_") and inspect.isfunction(member):
                    found[f"{module.__name__}.{name}.{attribute}"] = member
    return found


def _dotted(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def test_every_public_service_function_is_catalogued_or_allowed() -> None:
    public = {name for module in _service_modules() for name in _public_functions(module)}
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert sorted(public - catalogued - set(ALLOW_LIST)) == []


def test_the_allow_list_names_only_existing_uncatalogued_functions() -> None:
    public = {name for module in _service_modules() for name in _public_functions(module)}
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert sorted(set(ALLOW_LIST) - public) == []
    assert sorted(set(ALLOW_LIST) & catalogued) == []


@pytest.mark.parametrize(
    "module",
    [customers.services.records, reads, accounts.services.users, register],
    ids=lambda module: module.__name__,
)
def test_the_guard_sees_a_new_service_function(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType
) -> None:
    def record_merge() -> None: ...

    record_merge.__module__ = module.__name__
    monkeypatch.setattr(module, "record_merge", record_merge, raising=False)
    public = {name for found in _service_modules() for name in _public_functions(found)}
    assert f"{module.__name__}.record_merge" in public
    catalogued = {_dotted(service) for case in CATALOGUE for service in case.services}
    assert f"{module.__name__}.record_merge" in public - catalogued - set(ALLOW_LIST)


# --- A failure path audited at the HTTP layer ------------------------------------------------


def test_a_browser_reveal_of_medical_notes_without_permission_is_audited(
    client: Client, world: World
) -> None:
    login_verified(client, world.agent)
    url = f"/workspace/customers/{world.customer.pk}/reveal/"
    response = client.post(url, {"field": "medical_notes", "reason": "caller asked"})
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="access.denied", actor_id=str(world.agent.pk))
    assert denied.outcome == "denied"
    assert (denied.target_type, denied.target_id) == ("customers.customer", str(world.customer.pk))
    assert denied.details == {
        "rule": "customers.reveal_fields",
        "via": "page",
        "resource": f"customers.customer:{world.customer.pk}",
        "why": "missing_permission:customers.view_medical",
    }
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()
