"""The Celery broker when REDIS_URL is unset: the project's own PostgreSQL database.

Messages are rows of kombu's SQLAlchemy transport (tables `kombu_queue` and `kombu_message`,
created by kombu on first use). A producer's row appears only when its transaction commits and
a consumer takes one under `SELECT ... FOR UPDATE`, so no process ever reads half a message, and
what is queued survives a restart of any process. It needs no server beyond the database the
app already uses (the embedded PostgreSQL under `make run`).

Why not kombu's filesystem transport (the previous default): its consumer moves a message file
away with a rename, which ignores the producer's file lock, so it can take a file the producer
has created but not yet written; it then reads nothing and the worker stops with
``Unrecoverable error: JSONDecodeError('Expecting value: line 1 column 1 (char 0)')`` (and that
message is lost). One producer and one consumer are enough to hit it within seconds under
load; the pidbox/broadcast exchange files have a second race of the same kind.

This module is imported by settings: keep it free of Django imports at module level.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

logger = logging.getLogger(__name__)

SCHEME = "sqla+postgresql+psycopg2://"
# kombu passes these to SQLAlchemy's create_engine (it forwards every transport option, so
# kombu's own `polling_interval` cannot be set here: create_engine would reject it).
TRANSPORT_OPTIONS: dict[str, Any] = {
    "pool_pre_ping": True,  # a restarted database server costs one failed ping, not a crash
    "pool_recycle": 600,
    "connect_args": {"connect_timeout": 5},
}


def database_broker_url(database: Mapping[str, Any]) -> str:
    """kombu's URL for the PostgreSQL database described by Django `DATABASES` settings."""
    user = quote(str(database.get("USER") or ""), safe="")
    password = str(database.get("PASSWORD") or "")
    credentials = user + (":" + quote(password, safe="") if password else "")
    host = str(database.get("HOST") or "")
    port = str(database.get("PORT") or "")
    name = quote(str(database["NAME"]), safe="")
    query = {
        key: str(value)
        for key, value in (database.get("OPTIONS") or {}).items()
        if isinstance(value, str | int)
    }
    if host.startswith("/"):  # a unix socket folder (the embedded server)
        query["host"] = host
        netloc = ""
    else:
        netloc = f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{port}"
    url = f"{SCHEME}{credentials}@{netloc}/{name}"
    return f"{url}?{urlencode(query)}" if query else url


def is_database_broker(app: Any) -> bool:
    return str(app.conf.broker_url or "").startswith("sqla+")


def broker_prepare(app: Any) -> None:
    """Create the broker's tables and queue rows before several processes start using them.

    Every process creates them on first use, and two processes doing so at the same moment can
    collide on a queue's unique name (an IntegrityError that would stop a starting worker).
    `serve_all` calls this once before it starts its children. Nothing to do on Redis.
    """
    if not is_database_broker(app):
        return
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in app.amqp.queues.values():
            queue(channel).declare()


def broker_messages_prune(app: Any) -> int:
    """Delete messages the database broker has already delivered; returns how many.

    kombu's SQLAlchemy transport only hides a delivered row and never deletes it, so the table
    would grow by every task ever sent. A delivered message that is not yet acknowledged does
    not need its row: on a warm shutdown kombu puts it back as a new row.
    """
    if not is_database_broker(app):
        return 0
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        session = channel.session
        try:
            deleted = (
                session.query(channel.message_cls)
                .filter(channel.message_cls.visible.is_(False))
                .delete(synchronize_session=False)
            )
            session.commit()
        except Exception:
            session.rollback()
            raise
    return int(deleted)


def _forget_parent_engines() -> None:
    """After a fork, leave the parent's pooled broker connections to the parent: a socket
    used by two processes corrupts both sessions. The child opens its own on first use."""
    import sys

    transport = sys.modules.get("kombu.transport.sqlalchemy")
    if transport is None:
        return
    for engine, _session in transport.Channel._engines.values():
        engine.dispose(close=False)
    transport.Channel._engines.clear()


os.register_at_fork(after_in_child=_forget_parent_engines)
