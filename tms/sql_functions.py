"""Database functions kept as readable SQL files: one file per function, applied by migrations.

A function that is "the only door" for a rule (taking a seat, writing an outbox row) lives in
`<app>/sql/<function name>.sql`, where a reader finds it, not pasted into a migration. A file
may spell literals that Python owns as `{{ NAME }}` placeholders (a status, the set of statuses
that hold a seat, an event-key pattern): the app's `sql_constants()` gives their values, so
each literal is written once, in Python, and the SQL cannot drift from the enum.

Migrations install a function with `InstallFunctions(...)`, which renders the file as it is
when the migration runs. After every `migrate`, `install_all` renders and installs every
registered function again (`CREATE OR REPLACE`), so a database made before a file changed
gets the current version without a migration per edit. A change of a function's arguments or
result type still needs a migration that drops the old signature first (PostgreSQL keeps an
overload otherwise). Functions are PL/pgSQL: their bodies are checked when they first run,
so they can be created before every table they use exists.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import ProgrammingError, connections, migrations, transaction

UNDEFINED_TABLE = "42P01"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}")


def sql_literal(value: str | Enum) -> str:
    """A Python string (or str enum member) as an SQL string literal."""
    text = str(value.value if isinstance(value, Enum) else value)
    return "'" + text.replace("'", "''") + "'"


def sql_list(values: Iterable[str | Enum]) -> str:
    """Python strings as an SQL list for `IN (...)`: ('confirmed', 'offered')."""
    items = [sql_literal(v) for v in values]
    if not items:
        raise ValueError("an SQL list needs at least one value")
    return "(" + ", ".join(items) + ")"


@dataclass(frozen=True)
class SqlFunction:
    """One function file: `<app>/sql/<name>.sql`, declaring `signature` (for DROP)."""

    app: str
    name: str
    signature: str  # argument types, e.g. "bigint, bigint"

    @property
    def path(self) -> Path:
        return Path(apps.get_app_config(self.app).path) / "sql" / f"{self.name}.sql"

    def render(self) -> str:
        """The file's text with its placeholders filled from the app's `sql_constants()`."""
        constants = _constants(self.app)
        text = self.path.read_text(encoding="utf-8")

        def fill(match: re.Match[str]) -> str:
            try:
                return constants[match.group(1)]
            except KeyError:
                raise LookupError(
                    f"{self.path}: no SQL constant {match.group(1)!r} in {self.app}.sql"
                ) from None

        rendered = _PLACEHOLDER.sub(fill, text)
        if "{{" in rendered:
            raise ValueError(f"{self.path}: malformed placeholder left after rendering")
        return rendered

    @property
    def drop(self) -> str:
        return f"DROP FUNCTION IF EXISTS {self.name}({self.signature}) CASCADE"


def _constants(app: str) -> Mapping[str, str]:
    module = importlib.import_module(f"{app}.sql")
    constants: Mapping[str, str] = module.sql_constants()
    return constants


def registered() -> list[SqlFunction]:
    """Every function of every installed app, in dependency order of the apps."""
    found: list[SqlFunction] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.sql")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.sql":
                raise
            continue
        found.extend(getattr(module, "FUNCTIONS", ()))
    return found


def install(functions: Iterable[SqlFunction], *, using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        for function in functions:
            cursor.execute(function.render())


def install_all(*, using: str = "default") -> None:
    """Install the current version of every function (after every `migrate`). A function
    whose tables are not there (migrated back to before them) is left out."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for function in registered():
            try:
                with transaction.atomic(using=using):
                    cursor.execute(function.render())
            except ProgrammingError as error:
                if getattr(error.__cause__, "pgcode", None) != UNDEFINED_TABLE:
                    raise


class InstallFunctions(migrations.RunPython):
    """A migration step installing function files as they are now; reversed, it drops them."""

    def __init__(self, app: str, *names: str) -> None:
        self.app_label = app
        self.names = names
        super().__init__(self._install, self._drop, elidable=False)

    def _functions(self) -> list[SqlFunction]:
        by_name = {f.name: f for f in registered() if f.app == self.app_label}
        return [by_name[name] for name in self.names]

    def _install(self, _apps: Any, schema_editor: Any) -> None:
        install(self._functions(), using=schema_editor.connection.alias)

    def _drop(self, _apps: Any, schema_editor: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            for function in reversed(self._functions()):
                cursor.execute(function.drop)

    def describe(self) -> str:
        return f"Install SQL functions {', '.join(self.names)} from {self.app_label}/sql/"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.app_label, *self.names], {})
