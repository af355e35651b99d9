"""What an integrator's API key may be allowed to do: the scopes, each declared once.

Rules name a scope (`check(caller, key=Scope.CUSTOMERS_READ)`); keys store the names of
theirs. A name that is not declared here is refused when a key is created and is a
programming error in a rule.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    AUDIT_READ = "audit:read"
    INCIDENTS_WRITE = "incidents:write"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS: dict[Scope, str] = {
    Scope.CUSTOMERS_READ: "Read customers (masked), search them, reveal fields with a reason",
    Scope.CUSTOMERS_WRITE: "Create and update customers, add notes and interactions",
    Scope.AUDIT_READ: "Read, export and verify the audit log; read alerts",
    Scope.INCIDENTS_WRITE: "Report incidents (a SIEM or SOAR) and read the ones this key reported",
}
SCOPE_CHOICES = [(scope.value, scope.label) for scope in Scope]
