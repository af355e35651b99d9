from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        # The registry and the audit log's own actions, its access rules, the system checks.
        from audit import actions, checks, permissions  # noqa: F401
        from audit.chaining import register_sqlite_functions
        from audit.services.denials import access_denied_record
        from ccplatform.gate import install_denial_recorder

        connection_created.connect(register_sqlite_functions, dispatch_uid="audit_sqlite")
        # Every refusal of the gate, in every app, is one access.denied event.
        install_denial_recorder(access_denied_record)
