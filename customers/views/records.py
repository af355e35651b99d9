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

from accounts.decorators import person_required
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import ServiceError
from customers.forms import (
    REVEAL_REASONS,
    CustomerCreateForm,
    InteractionForm,
    NoteForm,
    RevealForm,
)
from customers.models import Customer
from customers.permissions import can_view_medical
from customers.selectors import customer_get_for
from customers.services.notes import customer_history
from customers.services.records import (
    RevealLimitError,
    RevealPermissionError,
    customer_create,
    customer_masked,
    customer_reveal,
    customer_viewed,
)
from customers.views.shared import (
    actor,
    add_service_errors,
    field_errors,
    history_shown,
    integrity_failure_page,
    is_htmx,
    person,
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
    try:
        masked = customer_masked(customer, include_medical=can_view_medical(person(request)))
        history = history_shown(customer_history(customer))
    except DecryptionError:
        return integrity_failure_page(request, customer, operation="customer_page")
    customer_viewed(actor=actor(request), customer=customer)
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


@person_required("customers.view_customer")
@require_GET
def customer_detail(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    return customer_page(request, customer_get_for(person(request), customer_id))


@person_required("customers.reveal_customer")
@require_POST
def reveal(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    """One field in plain text, for a reason. With htmx only that field's row is sent back."""
    user = person(request)
    customer = customer_get_for(user, customer_id)
    medical = can_view_medical(user)
    form = RevealForm(request.POST)
    status, revealed, problems, retry_after = 400, {}, [], 0
    if not form.is_valid():
        problems = field_errors(form)
    else:
        try:
            revealed = customer_reveal(
                actor=actor(request),
                customer=customer,
                fields=[form.cleaned_data["field"]],
                reason=form.cleaned_data["reason"],
                medical_allowed=medical,
            )
            status = 200
        except RevealLimitError as error:
            status, problems, retry_after = 429, [error.message], error.retry_after
        except RevealPermissionError as error:
            status, problems = 403, [error.message]
        except ServiceError as error:
            problems = [error.message]
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
    if retry_after:
        response["Retry-After"] = str(retry_after)
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
        masked = customer_masked(customer, include_medical=can_view_medical(person(request)))
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


@person_required("customers.add_customer")
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest) -> HttpResponse:
    user = person(request)
    form = CustomerCreateForm(
        request.POST or None, teams=user.teams.all(), medical_allowed=can_view_medical(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(
                actor=actor(request), team=form.cleaned_data["team"], values=form.values()
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Customer created.")
            return redirect("customers:customer", customer_id=customer.pk)
    status = 400 if request.method == "POST" else 200
    if status == 400:
        scrub_bound_form(form)
    context = {"form": form, "has_teams": user.teams.exists()}
    return render(request, "customers/customer_new.html", context, status=status)
