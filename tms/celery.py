"""Celery application and the beat schedule.

Broker: Redis when REDIS_URL is set; otherwise the app's own PostgreSQL database (tms/broker.py),
so `make run` needs no server beyond the embedded PostgreSQL. No result backend: results live in
domain tables. Periodic sweeps re-derive work from the database, so a lost message only delays
it. A heartbeat task shows coordinators whether beat and a worker are running.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery, signals
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tms.settings")

logger = logging.getLogger(__name__)

app = Celery("tms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "dispatch-outbox": {"task": "notifications.tasks.dispatch_outbox", "schedule": 10.0},
    "expire-offers": {"task": "attendance.tasks.expire_offers", "schedule": 60.0},
    "promote-waitlists": {"task": "attendance.tasks.sweep_waitlists", "schedule": 120.0},
    "send-reminders": {"task": "attendance.tasks.enqueue_reminders", "schedule": 300.0},
    "sync-invites": {"task": "attendance.tasks.sync_invites", "schedule": 120.0},
    "low-enrolment-alerts": {"task": "attendance.tasks.alert_low_enrolment", "schedule": 3600.0},
    "certification-reminders": {
        "task": "compliance.tasks.enqueue_certification_reminders",
        "schedule": 3600.0,
    },
    "sync-certifications": {"task": "compliance.tasks.sync_certifications", "schedule": 600.0},
    "attendance-sign-off-reminders": {
        "task": "attendance.tasks.remind_sign_off",
        "schedule": 900.0,
    },
    "worker-heartbeat": {"task": "tms.tasks.record_heartbeat", "schedule": 30.0},
    "prune-broker": {"task": "tms.tasks.prune_broker", "schedule": 3600.0},
    # Audit entries whose commit found the chain busy (compliance/sql/compliance_audit_seal.sql).
    "seal-audit-log": {"task": "compliance.tasks.seal_audit_log", "schedule": 15.0},
    "sweep-exports": {"task": "compliance.tasks.sweep_exports", "schedule": 900.0},
}


class FolderCreatingScheduler(PersistentScheduler):
    """Beat's scheduler, creating the folder of its state file first: it may not exist yet (a
    fresh checkout, a DATABASE_URL without the embedded server's .data/ folder, a --schedule
    path elsewhere), and beat would stop at start with FileNotFoundError."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).resolve().parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


app.conf.beat_scheduler = "tms.celery:FolderCreatingScheduler"


@signals.worker_ready.connect
def _first_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    """Report at once when a worker starts, rather than at the next beat tick."""
    from django.utils import timezone

    from tms.heartbeat import heartbeat_record

    hostname = getattr(sender, "hostname", None) or "worker"
    try:
        heartbeat_record(worker=hostname, now=timezone.now())
    except Exception as error:  # the database may be down; the periodic heartbeat retries
        logger.warning("Could not record the worker heartbeat: %s", error)


def enqueue_safely(task: Any, *args: Any, **kwargs: Any) -> bool:
    """Queue a task; if the broker is unreachable, log and carry on.

    Used from on-commit hooks: the user's change is already committed, and the periodic sweep
    will do the work once the broker is back. Nothing is lost, it is only delayed.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception as error:  # kombu raises several types for an unreachable broker
        name = getattr(task, "name", None) or getattr(task, "task", task)
        logger.warning("Could not queue %s (%s); the periodic sweep will pick it up.", name, error)
        return False
    return True


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """After the current transaction commits, queue the task named `task_name` (safely).

    Services queue work by name through this helper, so that no service imports a task
    module: tasks import services, never the other way round."""
    from django.db import transaction

    transaction.on_commit(lambda: enqueue_safely(app.signature(task_name), *args))
