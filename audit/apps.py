from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from audit import checks  # noqa: F401 - registers the system checks
        from audit.chaining import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="audit_sqlite")
