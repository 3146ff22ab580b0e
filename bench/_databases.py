"""Benchmark helpers shared by every bench: a database of its own on the configured server
(DATABASE_URL, or the embedded PostgreSQL), created and migrated, cloned, dropped, and a line
describing the server. Needs Django set up. A helper, not a benchmark (leading "_")."""

from __future__ import annotations

import os
import re
import time

from django.db import OperationalError, connection
from psycopg2 import sql


def create_database(name: str) -> str:
    """Create (dropping a leftover) and migrate `name`; returns the configured database name."""
    original = str(connection.settings_dict["NAME"])
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return original


def admin(statement: sql.Composable, retries: int = 5) -> None:
    """Run CREATE/DROP DATABASE from the maintenance database, retrying while another session
    (autovacuum, most likely) still uses the database."""
    connection.close()
    for attempt in range(retries):
        try:
            with connection._nodb_cursor() as cursor:
                cursor.execute(statement.as_string(cursor.connection))
            return
        except OperationalError:
            if attempt == retries - 1:
                raise
            time.sleep(1)


def drop_database(name: str) -> None:
    admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def clone_database(source: str, target: str) -> None:
    drop_database(target)
    admin(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(target), sql.Identifier(source)
        )
    )


def server_description() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
        cursor.execute("SHOW max_connections")
        (max_connections,) = cursor.fetchone()
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded server"
    return f"PostgreSQL {version} ({where}, max_connections {max_connections})"


_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def statement_label(statement: str) -> str:
    """Verb and main table: the first FROM/INTO/UPDATE outside parentheses."""
    verb = statement.split(None, 1)[0].upper() if statement.strip() else "?"
    if verb in {"PREPARE", "EXECUTE"}:  # tms.db.PreparedStatement: name the statement
        return " ".join(re.findall(r"\b(PREPARE|EXECUTE) (\w+)", statement)[-1])
    if verb in {"SAVEPOINT", "RELEASE", "SET", "ROLLBACK", "COMMIT", "BEGIN"}:
        return verb
    for match in _TABLE.finditer(statement):
        before = statement[: match.start()]
        if before.count("(") == before.count(")"):
            return f"{verb} {match.group(1)}"
    found = _TABLE.search(statement)
    return f"{verb} {found.group(1) if found else '?'}"
