"""Run the whole demo on one machine: web server, a Celery worker and beat, supervised.

With no REDIS_URL the broker is the app's own PostgreSQL database (tms/broker.py), so nothing
but the embedded PostgreSQL is needed; with REDIS_URL set, the same command uses Redis.
Production runs the three as separate services (docker-compose.yml).

A child that exits is logged and restarted (tms/supervisor.py). SIGINT or SIGTERM stops every
child, and then this process lets go of the embedded PostgreSQL, which stops when no process
uses it any more. This process alone holds the embedded server: the children connect to its
socket as to any server (DATABASE_URL), so that Ctrl-C, which signals them all at once, does
not have them race to update the server's list of users and leave it running.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tms.broker import broker_prepare
from tms.celery import app as celery_app
from tms.supervisor import Child, Supervisor

logger = logging.getLogger("tms.serve_all")


def split_addrport(addrport: str) -> tuple[str, str]:
    """ "127.0.0.1:8001" → ("127.0.0.1", "8001"); "8001" → ("127.0.0.1", "8001");
    "[::1]:8001" → ("[::1]", "8001")."""
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():
        raise CommandError(f"{addrport!r} is not an address and port, e.g. 127.0.0.1:8000")
    return host or "127.0.0.1", port


def site_url_for(addrport: str) -> str:
    """The base of links in emails and invites for a server on `addrport`. An address that
    listens everywhere is not one a reader can open: use the loopback address instead."""
    host, port = split_addrport(addrport)
    host = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "::": "[::1]"}.get(host, host)  # noqa: S104
    return f"http://{host}:{port}"


def embedded_database_url(database: dict[str, Any]) -> str:
    """The URL of the embedded server this process started, for the children."""
    return f"postgres://{database['USER']}@/{database['NAME']}?host={database['HOST']}"


def child_environment(
    addrport: str, environ: dict[str, str], *, embedded_database: dict[str, Any] | None = None
) -> dict[str, str]:
    """The children's environment: ours, with SITE_URL derived from the address unless set,
    and the embedded server's address when this process runs one."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        env["SITE_URL"] = site_url_for(addrport)
    if embedded_database is not None and not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = embedded_database_url(embedded_database)
    env.setdefault("PYTHONUNBUFFERED", "1")  # logs appear as they happen
    return env


class Command(BaseCommand):
    help = "Serve the web app with a Celery worker and beat alongside, restarting any that exits."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--status-file",
            type=Path,
            default=None,
            help="Write the children's pids and restart counts to this JSON file.",
        )

    def handle(self, *args: Any, addrport: str, status_file: Path | None, **options: Any) -> None:
        split_addrport(addrport)
        embedded = (
            settings.DATABASES["default"] if getattr(settings, "EMBEDDED_PG_DIR", None) else None
        )
        env = child_environment(addrport, dict(os.environ), embedded_database=embedded)
        broker = "Redis" if settings.REDIS_URL else "the PostgreSQL database"
        self.stdout.write(
            f"Starting the web server on {addrport}, a Celery worker and beat (broker: {broker}); "
            f"links in emails use {env['SITE_URL']}"
        )
        broker_prepare(celery_app)
        celery = [sys.executable, "-m", "celery", "-A", "tms"]
        children = [
            Child(
                "web",
                [sys.executable, "manage.py", "runserver", "--noreload", addrport],
                stop_signal=signal.SIGINT,
            ),
            Child("worker", [*celery, "worker", "--pool=solo", "--loglevel=INFO"]),
            Child(
                "beat",
                [
                    *celery,
                    "beat",
                    "--loglevel=INFO",
                    f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
                ],
            ),
        ]
        Supervisor(children, env=env, cwd=Path(settings.BASE_DIR), status_file=status_file).run()
        embedded_dir = getattr(settings, "EMBEDDED_PG_DIR", None)
        if embedded_dir is not None:
            from tms.embedded_db import forget_dead_processes

            # A child killed hard left its handle behind; without it, our exit stops the server.
            forget_dead_processes(Path(embedded_dir))
