"""Make audit_auditevent append-only in the database itself (UPDATE/DELETE/TRUNCATE refused)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from audit.triggers import EVENTS, install_append_only, remove_append_only


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    install_append_only(schema_editor, [EVENTS])


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    remove_append_only(schema_editor, [EVENTS])


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_create_audit_event")]

    operations = [migrations.RunPython(install, remove)]
