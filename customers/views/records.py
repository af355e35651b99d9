"""The customer page (masked, with history), revealing one field with a reason, and creating
a customer for one of the caller's teams.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import teams_for
from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import PlatformError, ServiceError
from customers.forms import (
    REVEAL_REASONS,
    CustomerCreateForm,
    InteractionForm,
    NoteForm,
    RevealForm,
)
from customers.models import Customer
from customers.permissions import (
    can_create_customers,
    can_reveal,
    can_view_customers,
    can_write_medical,
)
from customers.selectors import customer_get_for, customer_history, customer_masked
from customers.services.access_log import customer_history_viewed
from customers.services.records import customer_create, customer_reveal, customer_viewed
from customers.views.shared import (
    add_service_errors,
    field_errors,
    history_shown,
    integrity_failure_page,
    is_htmx,
    scrub_bound_form,
    shown_fields,
    without_cards,
)


def customer_page(
    request: HttpRequest,
    customer: Customer,
    *,
    status: int = 200,
    revealed: Mapping[str, Any] | None = None,
    reveal_errors: Mapping[str, list[str]] | None = None,
    reason: str = "",
    note_form: NoteForm | None = None,
    interaction_form: InteractionForm | None = None,
) -> HttpResponse:
    """The whole customer page; opening it (after any action) is recorded as a view."""
    caller = caller_of(request)
    try:
        masked = customer_masked(caller, customer)
        history = history_shown(customer_history(caller, customer))
    except DecryptionError:
        return integrity_failure_page(request, customer, operation="customer_page")
    customer_viewed(caller=caller, customer=customer)
    # The page shows the history in plain text: recorded as such, like the API's history
    # endpoints (a breach investigation reads these as plaintext exposure).
    for part in ("notes", "interactions"):
        if history[part]:
            ids = [str(item["id"]) for item in history[part]]
            customer_history_viewed(caller=caller, customer=customer, part=part, ids=ids)
    fields = shown_fields(masked, revealed or {}, errors=reveal_errors, reason=reason)
    context = {
        "customer": customer,
        "fields": fields,
        "page_errors": [
            e for name, errs in (reveal_errors or {}).items() if name not in masked for e in errs
        ],
        "history": history,
        "note_form": note_form or NoteForm(),
        "interaction_form": interaction_form or InteractionForm(),
        "reveal_reasons": REVEAL_REASONS,
    }
    return render(request, "customers/customer.html", context, status=status)


@gate.page(can_view_customers)
@require_GET
def customer_detail(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    return customer_page(request, customer_get_for(caller_of(request), customer_id))


@gate.page(can_reveal)
@require_POST
def reveal(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """One field in plain text, for a reason. With htmx only that field's row is sent back.

    A refusal (a field the caller may not see, the reveal limit) is answered in that row,
    with the status and headers the error carries (403, 429 with Retry-After).
    """
    caller = caller_of(request)
    customer = customer_get_for(caller, customer_id)
    form = RevealForm(request.POST)
    status, revealed, problems, headers = 400, {}, [], {}
    if not form.is_valid():
        problems = field_errors(form)
    else:
        try:
            revealed = customer_reveal(
                caller=caller,
                customer=customer,
                fields=[form.cleaned_data["field"]],
                reason=form.cleaned_data["reason"],
            )
            status = 200
        except PlatformError as error:
            status, problems, headers = error.status, [error.message], error.headers()
        except DecryptionError:
            return integrity_failure_page(request, customer, operation="reveal")
    name = str(form.data.get("field", ""))
    errors = {name: problems} if problems else None
    reason = without_cards(str(form.data.get("reason", ""))) if problems else ""
    if is_htmx(request):
        response = _field_row(request, customer, name, revealed, errors, reason, status)
    else:
        response = customer_page(
            request, customer, status=status, revealed=revealed, reveal_errors=errors, reason=reason
        )
    for header, value in headers.items():
        response[header] = value
    return response


def _field_row(
    request: HttpRequest,
    customer: Customer,
    name: str,
    revealed: Mapping[str, Any],
    errors: Mapping[str, list[str]] | None,
    reason: str,
    status: int,
) -> HttpResponse:
    try:
        masked = customer_masked(caller_of(request), customer)
    except DecryptionError:
        return integrity_failure_page(request, customer, operation="reveal")
    rows = [
        row
        for row in shown_fields(masked, revealed, errors=errors, reason=reason)
        if row.name == name
    ]
    if not rows:  # a field this page never offered: say so where the row was
        problems = [e for errs in (errors or {}).values() for e in errs]
        return render(request, "customers/_problem.html", {"problems": problems}, status=400)
    context = {"customer": customer, "row": rows[0], "focus_after_swap": True}
    return render(request, "customers/_field_row.html", context, status=status)


@gate.page(can_create_customers)
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest) -> HttpResponse:
    caller = caller_of(request)
    teams = teams_for(caller)
    form = CustomerCreateForm(
        request.POST or None, teams=teams, medical_allowed=bool(can_write_medical(caller))
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(
                caller=caller, team_id=form.cleaned_data["team"].pk, values=form.values()
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Customer created.")
            return redirect("customers:customer", customer_id=customer.pk)
    status = 400 if request.method == "POST" else 200
    if status == 400:
        scrub_bound_form(form)
    context = {"form": form, "has_teams": teams.exists()}
    return render(request, "customers/customer_new.html", context, status=status)
