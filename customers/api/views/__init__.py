"""Customers API views: one class per operation. CustomersApi, CustomerApi, CustomerNotesApi
and CustomerInteractionsApi only join the operations that share a URL (common.SharedUrl)."""

from __future__ import annotations

from customers.api.views.history import CustomerInteractionsApi, CustomerNotesApi
from customers.api.views.lookup import CustomerRevealApi, CustomerSearchApi
from customers.api.views.records import CustomerApi, CustomersApi

__all__ = [
    "CustomerApi",
    "CustomerInteractionsApi",
    "CustomerNotesApi",
    "CustomerRevealApi",
    "CustomerSearchApi",
    "CustomersApi",
]
