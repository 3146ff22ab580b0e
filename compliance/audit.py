"""The audit log, Python side: attaching the capture trigger, the context that reaches it, and
the chain's head.

Capture is the database's (compliance/sql/): one trigger function on every audited table
writes each row change into `compliance_auditentry`, so the ORM, the admin, QuerySet.update
and .delete, raw SQL, the seat door (`attendance_take_seat`) and the prepared statements of
tms/db.py are all recorded alike. Who did it travels as a transaction-local setting,
`tms.audit_context` (JSON), which the trigger reads:

- `AuditContext` is the acting user and request (`compliance.middleware`), the Celery task
  (`worker:<task>`, signals in `compliance.apps`) or the management command
  (`system:<command>`), held in a context variable;
- `audit_execute_wrapper`, installed on every database connection, prepends
  `SELECT set_config('tms.audit_context', '<json>', true);` to the first statement of a
  transaction that may write, in the same round trip: a read-only request sends nothing more,
  and a write costs no extra query. Being transaction-local (`true`), the setting ends with
  the transaction, so a persistent connection (DB_CONN_MAX_AGE) never carries one request's
  context into the next.

`attach(table)` is the one-liner a migration uses to audit a new table.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, migrations

GENESIS = "0" * 64  # prev_hash of the first entry
CHAIN_LOCK = 7_201_120_009  # pg_advisory_xact_lock key of the chain's sealer
SETTING = "tms.audit_context"
TRIGGER = "compliance_audit"

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")


# --- Attaching the trigger (migrations) -----------------------------------------------------


def attach_sql(table: str, *, pk: str = "id", exclude: tuple[str, ...] = ()) -> str:
    for name in (table, pk, *exclude):
        if not _IDENT.fullmatch(name):
            raise ValueError(f"not a plain SQL name: {name!r}")
    args = ", ".join(f"'{name}'" for name in (pk, *exclude))
    return (
        f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION compliance_audit_capture({args})"
    )


def attach(table: str, *, pk: str = "id", exclude: tuple[str, ...] = ()) -> migrations.RunSQL:
    """A migration operation auditing `table`: every insert, update and delete of its rows is
    recorded (columns in `exclude`, such as a password hash, are left out of before/after).
    The migration must depend on ("compliance", "0002_audit_log")::

        operations = [attach("attendance_attendancerecord")]
    """
    return migrations.RunSQL(
        attach_sql(table, pk=pk, exclude=exclude),
        f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}",
        elidable=False,
    )


# --- The context ----------------------------------------------------------------------------


@dataclass
class AuditContext:
    """Who is acting: a request (its user is read when the first write happens, so the API's
    token authentication and a sign-in during the request count), a worker or a command."""

    actor: str = ""  # "worker:<task>" / "system:<command>"; a request's comes from its user
    request_id: str = ""
    ip: str = ""
    request: str = ""  # "POST /path"
    user: Any = None  # the request's user (possibly lazy), or None
    _cached: tuple[Any, str] | None = field(default=None, repr=False)

    def payload(self) -> str:
        """The JSON the trigger reads (cached per user: a sign-in changes it)."""
        user = self.user
        user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
        if self._cached is not None and self._cached[0] == user_id:
            return self._cached[1]
        actor = user.get_username() if user_id is not None else self.actor or "anonymous"
        data = {
            "user_id": user_id,
            "actor": actor,
            "request_id": self.request_id,
            "ip": self.ip,
            "request": self.request,
        }
        text = json.dumps({k: _clean(v) for k, v in data.items()}, separators=(",", ":"))
        self._cached = (user_id, text)
        return text


def _clean(value: Any) -> Any:
    """A JSON value PostgreSQL's jsonb accepts (no NUL, no lone surrogate), of bounded size."""
    if not isinstance(value, str):
        return value
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")[:500]


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "audit_context", default=None
)


def current_context() -> AuditContext | None:
    return _current.get()


@contextmanager
def audit_context(context: AuditContext) -> Iterator[AuditContext]:
    """Attribute the writes made inside the block to `context`."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def set_context(context: AuditContext | None) -> contextvars.Token[AuditContext | None]:
    return _current.set(context)


def reset_context(token: contextvars.Token[AuditContext | None]) -> None:
    _current.reset(token)


# --- Which statements may write ---------------------------------------------------------------

_READ_ONLY_STARTS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW", "SET ", "BEGIN")
_LEADING = re.compile(r"^[\s(]+")
_EXECUTE = re.compile(r"EXECUTE\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
_PREPARE = re.compile(r"PREPARE\s+[a-z_][a-z0-9_]*\s+AS\s+", re.IGNORECASE)
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


@cache
def _writing_functions() -> re.Pattern[str] | None:
    """Calls of the SQL functions (tms.sql_functions) that write: a SELECT of one writes."""
    from tms.sql_functions import registered

    names = []
    for function in registered():
        text = function.path.read_text(encoding="utf-8")
        if re.search(r"RETURNS\s+trigger", text, re.IGNORECASE):
            continue
        if _DML.search(re.sub(r"--[^\n]*", "", text)):
            names.append(function.name)
    if not names:
        return None
    return re.compile(r"\b(" + "|".join(sorted(names)) + r")\s*\(", re.IGNORECASE)


def may_write(sql: str) -> bool:
    """Whether a statement may change an audited row. False only for plain reads (a SELECT
    calling no writing function, savepoints); EXECUTE looks at the prepared statement."""
    head = _LEADING.sub("", sql[:200]).upper()
    if head.startswith("PREPARE"):
        return may_write(_PREPARE.sub("", sql, count=1))
    if head.startswith("EXECUTE"):
        from tms.db import STATEMENTS

        match = _EXECUTE.match(_LEADING.sub("", sql))
        body = STATEMENTS.get(match.group(1)) if match else None
        return True if body is None else may_write(body)
    if head.startswith("WITH"):
        return bool(_DML.search(sql)) or _calls_writer(sql)
    if head.startswith(_READ_ONLY_STARTS):
        return head.startswith("SELECT") and _calls_writer(sql)
    return True


def _calls_writer(sql: str) -> bool:
    pattern = _writing_functions()
    return bool(pattern and pattern.search(sql))


# --- The execute wrapper ----------------------------------------------------------------------


def _set_sql(payload: str) -> str:
    # No "%" in the text (psycopg2 would read it as a placeholder): JSON may spell it \u0025.
    literal = payload.replace("%", "\\u0025").replace("'", "''")
    return f"SELECT set_config('{SETTING}', '{literal}', true);\n"


def audit_execute_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Prepends the context to the first possibly-writing statement of each transaction.

    Inside `atomic`, what was set is remembered with a sentinel in the connection's on-commit
    list: Django drops it when the transaction ends or when the savepoint it was set in is
    rolled back — exactly when PostgreSQL forgets a transaction-local setting. In autocommit
    each statement is its own transaction, so each writing one carries the context.
    """
    db = context["connection"]
    audit = _current.get()
    if (audit is None and not db.in_atomic_block) or not may_write(sql):
        return execute(sql, params, many, context)
    if getattr(context["cursor"].cursor, "name", None):  # a server-side cursor: reads
        return execute(sql, params, many, context)
    wanted = audit.payload() if audit is not None else ""
    if db.in_atomic_block:
        if _value_in_transaction(db) == wanted:
            return execute(sql, params, many, context)
    elif not wanted:
        return execute(sql, params, many, context)
    prefix = _set_sql(wanted)
    if many and not db.in_atomic_block:
        # Each execution is a transaction of its own: each carries the context (run here, so
        # wrappers inside this one see the statement once, without the rows).
        with db.wrap_database_errors:
            for one in params:
                context["cursor"].cursor.execute(prefix + sql, one)
        return None
    if many:
        context["cursor"].cursor.execute(prefix)
        result = execute(sql, params, many, context)
    else:
        result = execute(prefix + sql, params, many, context)
    if db.in_atomic_block:
        _remember(db, wanted)
    return result


def _value_in_transaction(db: Any) -> str:
    """The context this transaction holds now ("" if none): the newest live marker's."""
    markers: list[tuple[Callable[[], None], str]] = getattr(db, "_audit_markers", [])
    if not markers:
        return ""
    live = {id(entry[1]) for entry in db.run_on_commit}
    markers = [m for m in markers if id(m[0]) in live]
    db._audit_markers = markers
    return markers[-1][1] if markers else ""


def _remember(db: Any, value: str) -> None:
    def sentinel() -> None:
        return None

    db.on_commit(sentinel)
    db._audit_markers = [*getattr(db, "_audit_markers", []), (sentinel, value)]


def install_wrapper(sender: Any = None, *, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: every connection runs its statements through the wrapper
    (added once per connection wrapper, which outlives reconnects)."""
    if audit_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(audit_execute_wrapper)


# --- Reading the log ----------------------------------------------------------------------------


def audit_seal() -> int:
    """Seal every committed entry still waiting (a commit that found another sealing leaves
    its entries for the next sealer: compliance/sql/compliance_audit_seal.sql). Waits for the
    chain's lock, which it holds to the end of the caller's transaction. Returns how many."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT compliance_audit_seal_rows(true)")
        return int(cursor.fetchone()[0])


def audit_head(*, seal: bool = True) -> tuple[int, str]:
    """The chain's head: (seq, hash) of the newest sealed entry, after sealing what waits (so
    it covers every committed change) unless `seal` is false — a read-only transaction must
    not seal (an UPDATE), and should not hold the chain's lock; (0, GENESIS) when empty.
    Exports put it in their manifests; `verify_audit_log --head` checks against it later."""
    if seal:
        audit_seal()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, hash FROM compliance_auditentry WHERE seq IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


@cache
def model_labels() -> dict[str, str]:
    """Table name -> model label ("scheduling_session" -> "scheduling.Session")."""
    return {
        model._meta.db_table: model._meta.label
        for model in apps.get_models(include_auto_created=True)
    }


def model_label(table: str) -> str:
    return model_labels().get(table, table)
