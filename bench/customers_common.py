"""Shared by the customers benchmarks: fake customers, and a plaintext twin to compare with.

The plaintext baseline has the same shape as the real tables (a customer row with the same
columns and indexes, and a lookup table keyed by kind and value) but stores values in the
clear, so the ratios measure what encryption and blind indexes cost, nothing else. Its
tables are created in the benchmark's throwaway database and vanish with it. Import this
module after bench.harness (which configures Django), as the benchmarks do in main().
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from django.db import connection, models, transaction
from django.urls import include, path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team
from audit.services import audit_record
from ccplatform.api.pagination import StandardPagination
from ccplatform.callers import Caller, Via, caller_of
from ccplatform.crypto.blind_index import NormalisationError, normalise
from ccplatform.scopes import Scope
from customers.actions import CUSTOMER_LISTED
from customers.api.permissions import CustomersRead
from customers.api.serializers import MaskedCustomerSerializer
from customers.fields import FIELDS, MEDICAL_FIELDS, REVEALABLE, Kind, from_text, mask_value
from customers.permissions import can_view_medical
from customers.services.importing import LIST_SEPARATOR, SourceRow, customers_import
from customers.services.records import LOOKUP_FIELDS

BENCH = Caller.system("bench", via=Via.COMMAND)
BATCH_SIZE = 1000


# --- The plaintext twin ---------------------------------------------------------------------


class PlainCustomer(models.Model):
    """Customer's columns and indexes, values in the clear (list fields as JSON text)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    name = models.TextField()
    date_of_birth = models.TextField(blank=True)
    addresses = models.TextField(blank=True)
    phones = models.TextField(blank=True)
    emails = models.TextField(blank=True)
    account_number = models.TextField(blank=True)
    card_token = models.TextField(blank=True)
    card_last4 = models.TextField(blank=True)
    medical_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # Declared because the type checker only knows the models of installed apps.
    objects: ClassVar[models.Manager[PlainCustomer]] = models.Manager()
    team_id: uuid.UUID

    class Meta:
        # Registered under an installed app so that Django resolves the reverse relation
        # (`lookups`) and the queries keep the real ones' shape; the table is the bench's own.
        app_label = "customers"
        db_table = "bench_plain_customer"
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["team", "created_at"], name="bench_plain_team_created")]

    def __str__(self) -> str:
        return f"plain customer {self.pk}"


class PlainLookup(models.Model):
    """CustomerLookup's shape with the normalised value itself instead of its digest."""

    customer = models.ForeignKey(PlainCustomer, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(max_length=20)
    value = models.CharField(max_length=254)
    key_version = models.CharField(max_length=16, default="")
    objects: ClassVar[models.Manager[PlainLookup]] = models.Manager()

    class Meta:
        app_label = "customers"
        db_table = "bench_plain_lookup"
        indexes = [models.Index(fields=["kind", "value"], name="bench_plain_lookup_value")]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="bench_plain_lookup_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lookup of {self.customer.pk}"


def plain_tables_create() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(PlainCustomer)
        editor.create_model(PlainLookup)


def plain_build(team: Team, values: dict[str, Any]) -> tuple[PlainCustomer, list[PlainLookup]]:
    """The plaintext row and lookups of `values`, normalised as customer_build does."""
    customer = PlainCustomer(team=team)
    lookups: dict[tuple[str, str], PlainLookup] = {}
    for field, kind in LOOKUP_FIELDS.items():
        raw = values.get(field)
        items = raw if isinstance(raw, list) else [raw] if raw else []
        normalised = [normalise(kind, str(item)) for item in items]
        for item in normalised:
            lookups[(kind, item)] = PlainLookup(customer=customer, kind=kind, value=item)
        if field == "phones":
            values = {**values, "phones": normalised}
    for field, spec in FIELDS.items():
        value = values.get(field)
        if value in (None, "", []):
            text = ""
        elif spec.kind == Kind.LIST:
            text = json.dumps(list(value))
        else:
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
        setattr(customer, field, text)
    return customer, list(lookups.values())


def plain_load(team: Team, rows: Iterable[SourceRow], *, batch_size: int = BATCH_SIZE) -> int:
    """The plaintext twin of customers_import: same rows, same checks, bulk_create batches."""
    loaded = 0
    batch: list[tuple[PlainCustomer, list[PlainLookup]]] = []

    def flush() -> None:
        with transaction.atomic():
            PlainCustomer.objects.bulk_create([customer for customer, _ in batch])
            PlainLookup.objects.bulk_create([item for _, items in batch for item in items])

    for row in rows:
        if row.errors:
            continue
        try:
            batch.append(plain_build(team, row.values))
        except NormalisationError:
            continue
        if len(batch) >= batch_size:
            flush()
            loaded += len(batch)
            batch = []
    if batch:
        flush()
        loaded += len(batch)
    return loaded


# --- Fake customers -------------------------------------------------------------------------

_FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Eli",
    "Frankie",
    "Gray",
    "Harper",
    "Indy",
    "Jules",
    "Kai",
    "Lee",
    "Morgan",
    "Noor",
]
_LAST = [
    "Adler",
    "Brandt",
    "Costa",
    "Dahl",
    "Eze",
    "Falk",
    "Gallo",
    "Holm",
    "Ito",
    "Jansen",
    "Kowal",
    "Lund",
    "Moreau",
    "Nakata",
]
_STREETS = [
    "Oak Ave",
    "Elm St",
    "Harbor Rd",
    "Mill Lane",
    "Station Sq",
    "Park Row",
    "Bay St",
    "Hill Rd",
]
_CITIES = [
    "Springfield",
    "Riverton",
    "Lakeside",
    "Fairview",
    "Georgetown",
    "Salem",
    "Clinton",
    "Madison",
]
_AREAS = ("202", "212", "312", "415", "512", "617", "713", "917")


def fake_phone(number: int) -> str:
    """A distinct, well-formed North American number for each `number` below 64 million."""
    area = _AREAS[number % len(_AREAS)]
    rest = number // len(_AREAS)
    return f"+1 {area} {200 + rest // 10_000:03d} {rest % 10_000:04d}"


def fake_values(number: int) -> dict[str, Any]:
    """One made-up customer, the same for the same number; a realistic mix of empty fields."""
    first, last = _FIRST[number % len(_FIRST)], _LAST[(number // 7) % len(_LAST)]
    values: dict[str, Any] = {
        "name": f"{first} {last}",
        "date_of_birth": dt.date(1940 + number % 60, 1 + number % 12, 1 + number % 28),
        "addresses": [f"{1 + number % 999} {_STREETS[number % 8]}, {_CITIES[(number // 8) % 8]}"],
        "phones": [fake_phone(number)],
        "emails": [f"{first}.{last}{number}@example.com".lower()],
        "account_number": f"{10_000_000 + (number * 7919) % 89_999_999}",
    }
    if number % 3 == 0:
        values["phones"].append(fake_phone(number + 32_000_000))
    if number % 2 == 0:
        values["card_token"] = f"tok_{number:08x}"  # digit runs too short for a card
        values["card_last4"] = f"{number % 10_000:04d}"
    if number % 10 == 0:
        values["medical_notes"] = "Allergic to penicillin; prefers morning appointments."
    return values


def fake_rows(count: int, *, start: int = 0) -> Iterator[SourceRow]:
    for number in range(start, start + count):
        yield SourceRow(number + 2, fake_values(number))


def fake_csv_write(path: Path, count: int) -> None:
    """A CSV file of `count` fake customers in the import format, written row by row."""
    columns = list(FIELDS)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for number in range(count):
            values = fake_values(number)
            cells = []
            for name in columns:
                value = values.get(name, "")
                if isinstance(value, list):
                    value = LIST_SEPARATOR.join(value)
                cells.append(value.isoformat() if isinstance(value, dt.date) else value)
            writer.writerow(cells)


def tables_settle() -> None:
    """What autovacuum does soon after a bulk load on a live PostgreSQL: fresh planner
    statistics, and the visibility map that lets COUNT(*) (every list page runs one) use an
    index-only scan instead of reading the whole table. Done to every table alike."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def both_load(team: Team, count: int) -> None:
    """`count` encrypted customers (through the import service) and their plaintext twins."""
    customers_import(caller=BENCH, team=team, rows=fake_rows(count), batch_size=BATCH_SIZE)
    plain_load(team, fake_rows(count))


# --- The plaintext twin of the list endpoint -------------------------------------------------


def _plain_visible(request: Request) -> models.QuerySet[PlainCustomer]:
    """customers_visible_to's rule for API keys (the bench's caller), over the plain rows."""
    caller = caller_of(request)
    base = PlainCustomer.objects.select_related("team")
    if caller.is_key:
        return base if caller.has_scope(Scope.CUSTOMERS_READ) else base.none()
    return base.filter(team_id__in=caller.team_ids)


def _plain_masked(customer: PlainCustomer, *, include_medical: bool) -> dict[str, Any]:
    shown = {}
    for field in REVEALABLE:
        if field in MEDICAL_FIELDS and not include_medical:
            continue
        text: str = getattr(customer, field)
        empty: object = [] if FIELDS[field].kind == Kind.LIST else ""
        shown[field] = mask_value(field, from_text(field, text) if text else empty)
    return shown


class PlainCustomerListApi(APIView):
    """CustomerListApi over plaintext rows: same checks, paging, audit and output."""

    permission_classes = [CustomersRead]

    def get(self, request: Request) -> Response:
        paginator = StandardPagination()
        page = paginator.paginate_queryset(_plain_visible(request), request, view=self) or []
        medical = bool(can_view_medical(caller_of(request)))
        rows = [
            {
                "id": customer.pk,
                "team": customer.team_id,
                "created_at": customer.created_at,
                "updated_at": customer.updated_at,
                **_plain_masked(customer, include_medical=medical),
            }
            for customer in page
        ]
        audit_record(
            actor=caller_of(request).actor,
            action=CUSTOMER_LISTED,
            details={
                "customers": [str(row["id"]) for row in rows],
                "page": paginator.page.number if paginator.page else 1,
            },
        )
        return paginator.get_paginated_response(MaskedCustomerSerializer(rows, many=True).data)


PLAIN_LIST_URL = "/bench/plain-customers/"
urlpatterns = [
    path(PLAIN_LIST_URL.strip("/") + "/", PlainCustomerListApi.as_view()),
    path("", include("ccplatform.urls")),
]
