"""Worker heartbeats: a row per worker, refreshed by a periodic task (see WorkerHeartbeat)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from tms.models import WorkerHeartbeat


def heartbeat_record(*, worker: str, now: dt.datetime) -> None:
    """Note that `worker` is alive at `now` (one upsert; workers may run it at the same time)."""
    WorkerHeartbeat.objects.bulk_create(
        [WorkerHeartbeat(worker=worker[:200], seen_at=now)],
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=["seen_at"],
    )


def worker_last_seen() -> dt.datetime | None:
    """The most recent heartbeat of any worker, or None if no worker ever reported."""
    return WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
