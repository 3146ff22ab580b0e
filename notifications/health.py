"""Is mail going out? The worker heartbeat and the outbox backlog, for the Messages page and
/health/: a coordinator should see that delivery stopped before learners notice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, Q

from notifications.models import MessageStatus, OutboxMessage
from tms.heartbeat import worker_last_seen


@dataclass(frozen=True)
class DeliveryHealth:
    now: dt.datetime
    alert_after: dt.timedelta
    worker_last_seen: dt.datetime | None
    # Queued messages whose send time passed more than `alert_after` ago.
    stuck: int
    # The send time of the oldest queued message that is due, stuck or not.
    oldest_due_at: dt.datetime | None

    @property
    def worker_silent(self) -> bool:
        """No worker has been seen for `alert_after` (or ever)."""
        return self.worker_last_seen is None or self.now - self.worker_last_seen > self.alert_after

    @property
    def mail_stuck(self) -> bool:
        return self.stuck > 0

    @property
    def ok(self) -> bool:
        return not self.worker_silent and not self.mail_stuck

    @property
    def alert_minutes(self) -> int:
        return int(self.alert_after.total_seconds() // 60)

    def seconds_since(self, moment: dt.datetime | None) -> int | None:
        return None if moment is None else max(0, int((self.now - moment).total_seconds()))


def delivery_health(*, now: dt.datetime) -> DeliveryHealth:
    """Two reads: the latest worker heartbeat, and the due part of the outbox."""
    alert_after = dt.timedelta(minutes=settings.HEALTH_ALERT_MINUTES)
    backlog = OutboxMessage.objects.filter(
        status=MessageStatus.QUEUED, available_at__lte=now
    ).aggregate(
        oldest=Min("available_at"),
        stuck=Count("pk", filter=Q(available_at__lt=now - alert_after)),
    )
    return DeliveryHealth(
        now=now,
        alert_after=alert_after,
        worker_last_seen=worker_last_seen(),
        stuck=backlog["stuck"],
        oldest_due_at=backlog["oldest"],
    )
