"""Compliance's periodic work: sealing audit entries a busy commit left for later."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from compliance.audit import audit_seal


@shared_task(ignore_result=True)
def seal_audit_log() -> int:
    """Chain the committed audit entries still unsealed (safe to run twice: each is sealed
    once, under the chain's lock)."""
    with transaction.atomic():
        return audit_seal()
