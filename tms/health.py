"""GET /health/: is the database reachable, has a worker been seen lately, is mail stuck?

Public and JSON, for uptime checks and load balancers: 200 when all is well, 503 otherwise, with
the facts that decide it. Part of the composition root (it reads the notifications app's
outbox); the Messages page shows the same facts to coordinators.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from notifications.health import delivery_health


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    try:
        report = delivery_health(now=now)
    except DatabaseError:
        body: dict[str, Any] = {
            "status": "failing",
            "database": "unreachable",
            "worker_last_seen": None,
            "worker_seen_seconds_ago": None,
            "mail_stuck": None,
            "oldest_queued_seconds": None,
        }
        return JsonResponse(body, status=503)
    body = {
        "status": "ok" if report.ok else "failing",
        "database": "ok",
        "worker_last_seen": report.worker_last_seen.isoformat()
        if report.worker_last_seen
        else None,
        "worker_seen_seconds_ago": report.seconds_since(report.worker_last_seen),
        "worker_silent": report.worker_silent,
        "mail_stuck": report.stuck,
        "oldest_queued_seconds": report.seconds_since(report.oldest_due_at),
        "alert_after_minutes": report.alert_minutes,
    }
    return JsonResponse(body, status=200 if report.ok else 503)
