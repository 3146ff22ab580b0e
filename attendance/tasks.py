"""Thin Celery tasks: ids in, one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from attendance.services import promotion, reminders, sign_off_reminders

TRANSIENT = (OSError,)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(acks_late=True, **RETRY)
def promote_waitlist(session_id: int) -> int:
    return len(promotion.waitlist_promote(session_id=session_id))


@shared_task(acks_late=True, **RETRY)
def expire_offers() -> int:
    return promotion.offers_expire()


@shared_task(acks_late=True, **RETRY)
def sweep_waitlists() -> int:
    return promotion.waitlists_sweep()


@shared_task(acks_late=True, **RETRY)
def enqueue_reminders() -> int:
    return reminders.reminders_enqueue_due()


@shared_task(acks_late=True, **RETRY)
def sync_invites(session_id: int | None = None) -> int:
    return reminders.invites_sync(session_id=session_id)


@shared_task(acks_late=True, **RETRY)
def alert_low_enrolment() -> int:
    return reminders.low_enrolment_alerts()


@shared_task(acks_late=True, **RETRY)
def remind_sign_off() -> int:
    return sign_off_reminders.sign_off_reminders_enqueue()
