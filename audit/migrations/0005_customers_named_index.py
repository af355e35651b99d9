"""The partial GIN index behind "who accessed this customer" covers search results too."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "audit_event_listed_customers"


def _create(schema_editor: BaseDatabaseSchemaEditor, actions: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON audit_auditevent USING gin (details jsonb_path_ops) "  # noqa: S608
        f"WHERE action IN ({actions})",
        params=None,
    )


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _create(schema_editor, "'customer.listed', 'customer.searched'")


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _create(schema_editor, "'customer.listed'")


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_audit_archives")]

    operations = [migrations.RunPython(forward, backward)]
