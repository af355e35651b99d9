"""The incident timeline is append-only, like the audit log: triggers refuse UPDATE and
DELETE (and TRUNCATE on PostgreSQL) for every client of the database."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from audit.triggers import install_append_only, remove_append_only

TIMELINE = "incidents_timelineentry"  # incidents.models.TIMELINE_TABLE, frozen here


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    install_append_only(schema_editor, [TIMELINE])


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    remove_append_only(schema_editor, [TIMELINE])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_incident_register")]
    operations = [migrations.RunPython(install, remove)]
