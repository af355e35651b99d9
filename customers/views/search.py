"""The workspace start page: find a customer by phone, email or account number.

The search runs on POST only, so the value an agent types never lands in a URL, a server
access log, the browser history or a Referer header.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import ServiceError
from customers.forms import SearchForm
from customers.permissions import can_view_customers
from customers.selectors import customer_masked
from customers.services.search import customers_search
from customers.views.shared import (
    add_service_errors,
    integrity_failure_page,
    scrub_bound_form,
    texts,
)


@gate.page(can_view_customers)
@require_http_methods(["GET", "POST"])
def workspace(request: HttpRequest) -> HttpResponse:
    caller = caller_of(request)
    form = SearchForm(request.POST or None)
    results: list[dict[str, object]] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            found = customers_search(
                caller=caller,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            results = []
            for customer in found:
                try:
                    masked = customer_masked(caller, customer)
                except DecryptionError:
                    return integrity_failure_page(request, customer, operation="search_results")
                shown = {name: texts(name, masked[name]) for name in ("name", "phones", "emails")}
                results.append({"id": customer.pk, "team": customer.team.name, **shown})
            # A fresh box for the next caller; the typed value is not shown back.
            form = SearchForm(initial={"kind": form.cleaned_data["kind"]})
    status = 400 if request.method == "POST" and results is None else 200
    if status == 400:
        scrub_bound_form(form)
    context = {"form": form, "results": results}
    return render(request, "customers/workspace.html", context, status=status)
