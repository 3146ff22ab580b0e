"""Thin Celery tasks of compliance: the beat sweeps, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from compliance.services import certifications, reminders

TRANSIENT = (OSError,)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(acks_late=True, **RETRY)
def enqueue_certification_reminders() -> int:
    return reminders.certification_reminders_enqueue_due()


@shared_task(acks_late=True, **RETRY)
def sync_certifications() -> int:
    return certifications.certifications_sync()
