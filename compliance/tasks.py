"""Thin Celery tasks of compliance: the beat sweeps and exports, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from compliance.audit import audit_seal
from compliance.exports import services as exports
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


@shared_task(ignore_result=True)
def seal_audit_log() -> int:
    """Chain the committed audit entries a busy commit left unsealed (safe to run twice: each
    is sealed once, under the chain's lock)."""
    with transaction.atomic():
        return audit_seal()


@shared_task(acks_late=True)
def run_export(record_id: int) -> bool:
    return exports.export_run(record_id=record_id, now=timezone.now())


@shared_task(acks_late=True)
def sweep_exports() -> int:
    return exports.exports_sweep(now=timezone.now())
