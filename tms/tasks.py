"""Infrastructure tasks: the worker heartbeat and pruning of the database broker."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from tms.broker import broker_messages_prune
from tms.heartbeat import heartbeat_record


@shared_task(bind=True, ignore_result=True)
def record_heartbeat(self: Any) -> None:
    heartbeat_record(worker=self.request.hostname or "worker", now=timezone.now())


@shared_task(bind=True, ignore_result=True)
def prune_broker(self: Any) -> int:
    return broker_messages_prune(self.app)
