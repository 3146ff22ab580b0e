"""Run the whole demo on one machine: web server, a Celery worker and beat.

With no REDIS_URL the broker is kombu's filesystem transport (no server to install); with
REDIS_URL set, the same command uses Redis. Production runs them as separate services
(docker-compose.yml).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web app with a Celery worker and beat alongside (for `make run`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        broker = "Redis" if settings.REDIS_URL else f"filesystem broker in {settings.BROKER_DIR}"
        self.stdout.write(f"Starting a Celery worker with beat ({broker})")
        worker = subprocess.Popen(  # noqa: S603 - our own worker, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tms",
                "worker",
                "--beat",
                "--pool=solo",
                "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
            env=os.environ.copy(),
        )
        try:
            subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
                [sys.executable, "manage.py", "runserver", "--noreload", addrport],
                check=False,
            )
        except KeyboardInterrupt:
            pass
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
