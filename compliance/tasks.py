"""Thin Celery tasks for exports: ids in, one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from compliance.exports import services


@shared_task(acks_late=True)
def run_export(record_id: int) -> bool:
    return services.export_run(record_id=record_id, now=timezone.now())


@shared_task(acks_late=True)
def sweep_exports() -> int:
    return services.exports_sweep(now=timezone.now())
