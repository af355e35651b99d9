"""Helpers for tests that start real processes (web, worker, beat) beside the test run."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_database_url(application_name: str | None = None) -> str:
    """DATABASE_URL of the database this test run created, for the processes it starts."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        if ":memory:" in str(database["NAME"]) or "mode=memory" in str(database["NAME"]):
            pytest.skip("an in-memory test database cannot be shared with other processes")
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
        user = quote(database["USER"] or "", safe="")
        host = database["HOST"] or "localhost"
        port = database["PORT"] or 5432
        query = f"?application_name={application_name}" if application_name else ""
        return (
            f"postgres://{user}{password}@{host}:{port}/{quote(database['NAME'], safe='')}{query}"
        )
    pytest.skip(f"no DATABASE_URL form for {connection.vendor}")
