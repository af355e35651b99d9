"""Adding a note or an interaction to a customer. Free text is scanned by the services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError
from ccplatform.redaction import redact_card_data
from customers.forms import InteractionForm, NoteForm
from customers.permissions import can_add_interactions, can_add_notes
from customers.selectors import customer_get_for
from customers.services.notes import customer_interaction_add, customer_note_add
from customers.views.records import customer_page
from customers.views.shared import add_service_errors, scrub_bound_form

CARDS_MASKED = "Card numbers in the text were masked to their last 4 digits before saving."


def _history_url(customer_id: uuid.UUID) -> str:
    return reverse("customers:customer", kwargs={"customer_id": customer_id}) + "#history"


@gate.page(can_add_notes)
@require_POST
def note_add(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    caller = caller_of(request)
    customer = customer_get_for(caller, customer_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        body = form.cleaned_data["body"]
        try:
            customer_note_add(caller=caller, customer=customer, body=body)
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Note added.")
            if redact_card_data(body).changed:
                messages.warning(request, CARDS_MASKED)
            return redirect(_history_url(customer.pk))
    scrub_bound_form(form)
    return customer_page(request, customer, status=400, note_form=form)


@gate.page(can_add_interactions)
@require_POST
def interaction_add(request: HttpRequest, customer_id: uuid.UUID) -> HttpResponse:
    caller = caller_of(request)
    customer = customer_get_for(caller, customer_id)
    form = InteractionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer_interaction_add(
                caller=caller,
                customer=customer,
                channel=data["channel"],
                outcome=data["outcome"],
                summary=data["summary"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Interaction logged.")
            if redact_card_data(data["summary"]).changed:
                messages.warning(request, CARDS_MASKED)
            return redirect(_history_url(customer.pk))
    scrub_bound_form(form)
    return customer_page(request, customer, status=400, interaction_form=form)
