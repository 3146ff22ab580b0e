"""Deliver the outbox. Safe to run concurrently and twice: rows are claimed before sending."""

from __future__ import annotations

from celery import shared_task

from notifications.services import outbox_dispatch


@shared_task(acks_late=True)
def dispatch_outbox() -> dict[str, int]:
    return outbox_dispatch()
