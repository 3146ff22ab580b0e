"""Benchmark helpers: load many rows fast with COPY, insert rows with plain SQL.

Columns come from the model's `_meta`, with the model's defaults for anything a row leaves out,
so the loaders keep working as models gain fields. A helper, not a benchmark (leading "_").
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from psycopg2 import sql
from psycopg2.extras import DateTimeTZRange


def _defaults(model: type[models.Model], given: Iterable[str], now: dt.datetime) -> dict[str, Any]:
    """Values for the columns a row does not give: the model's defaults, `now` for timestamps."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        elif field.has_default():
            values[field.attname] = field.get_default()
        elif field.null:
            values[field.attname] = None
        elif field.empty_strings_allowed:
            values[field.attname] = ""
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    return values


def _text(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, DateTimeTZRange):
        bounds = value._bounds or "[)"
        return f"{bounds[0]}{value.lower.isoformat()},{value.upper.isoformat()}{bounds[1]}"
    if isinstance(value, list | tuple):
        return "{" + ",".join(f'"{item}"' for item in value) + "}"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def copy_rows(model: type[models.Model], rows: Sequence[dict[str, Any]], now: dt.datetime) -> None:
    """COPY `rows` (dicts keyed by attname, ids included) into the model's table."""
    if not rows:
        return
    fields = model._meta.concrete_fields
    filled = _defaults(model, rows[0].keys(), now)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(row.get(f.attname, filled.get(f.attname))) for f in fields))
        buffer.write("\n")
    buffer.seek(0)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table),
        sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(statement.as_string(cursor.connection), buffer)


def reset_sequences(*models_: type[models.Model]) -> None:
    """Move id sequences past the ids written by COPY."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(statement)


class RawInsert:
    """`INSERT ... VALUES ... RETURNING id` for one model, built once from its `_meta`."""

    def __init__(self, model: type[models.Model], given: Sequence[str], now: dt.datetime) -> None:
        self.given = list(given)
        self.defaults = _defaults(model, {"id", *given}, now)
        fields = [f for f in model._meta.concrete_fields if f.attname != "id"]
        self.attnames = [f.attname for f in fields]
        self.prefix = sql.SQL("INSERT INTO {} ({}) VALUES ").format(
            sql.Identifier(model._meta.db_table),
            sql.SQL(", ").join(sql.Identifier(f.column) for f in fields),
        )
        self.row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"

    def execute(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
        params: list[Any] = []
        for row in rows:
            params += [row[name] if name in row else self.defaults[name] for name in self.attnames]
        statement = (
            self.prefix.as_string(cursor.connection)
            + ", ".join([self.row_sql] * len(rows))
            + " RETURNING id"
        )
        cursor.execute(statement, params)
        return [pk for (pk,) in cursor.fetchall()]
