"""Customers endpoints of the API (/api/v1/customers/...)."""

from __future__ import annotations

from django.urls import path

from customers.api.views import (
    CustomerApi,
    CustomerInteractionsApi,
    CustomerNotesApi,
    CustomerRevealApi,
    CustomersApi,
    CustomerSearchApi,
)

urlpatterns = [
    path("customers/", CustomersApi.as_view(), name="api-customers"),
    # Before the detail route, which would not match "search" anyway (it takes a UUID).
    path("customers/search/", CustomerSearchApi.as_view(), name="api-customer-search"),
    path("customers/<uuid:customer_id>/", CustomerApi.as_view(), name="api-customer"),
    path(
        "customers/<uuid:customer_id>/reveal/",
        CustomerRevealApi.as_view(),
        name="api-customer-reveal",
    ),
    path(
        "customers/<uuid:customer_id>/notes/",
        CustomerNotesApi.as_view(),
        name="api-customer-notes",
    ),
    path(
        "customers/<uuid:customer_id>/interactions/",
        CustomerInteractionsApi.as_view(),
        name="api-customer-interactions",
    ),
]
