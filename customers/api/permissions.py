"""The customers API's permission classes: each is the gate's wrapper around one predicate of
customers.permissions (which the services ask again, and the pages ask too)."""

from __future__ import annotations

from ccplatform.gate import api
from customers.permissions import (
    can_add_interactions,
    can_add_notes,
    can_create_customers,
    can_open_records,
    can_read_history,
    can_reveal,
    can_update_customers,
    can_view_customers,
)

CustomersRead = api(can_view_customers)
CustomerRecordAccess = api(can_open_records)
CustomerHistoryRead = api(can_read_history)
CustomersReveal = api(can_reveal)
CustomersCreate = api(can_create_customers)
CustomersUpdate = api(can_update_customers)
CustomerNotesAdd = api(can_add_notes)
CustomerInteractionsAdd = api(can_add_interactions)
