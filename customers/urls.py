"""Browser URLs of the agent workspace (/workspace/...). Customer ids are random UUIDs."""

from __future__ import annotations

from django.urls import path

from customers.views import activity, records, search

app_name = "customers"

urlpatterns = [
    path("", search.workspace, name="workspace"),
    path("customers/new/", records.customer_new, name="customer_new"),
    path("customers/<uuid:customer_id>/", records.customer_detail, name="customer"),
    path("customers/<uuid:customer_id>/reveal/", records.reveal, name="reveal"),
    path("customers/<uuid:customer_id>/notes/", activity.note_add, name="note_add"),
    path(
        "customers/<uuid:customer_id>/interactions/",
        activity.interaction_add,
        name="interaction_add",
    ),
]
