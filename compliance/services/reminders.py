"""Expiry reminders: a periodic sweep (beat) queues one email per certificate and threshold
(`CERTIFICATION_REMINDER_DAYS`, 60, 30 and 7 days before it expires by default) through the
outbox. Only the nearest threshold that has come is sent (a certificate found 20 days before
expiry gets the 30-day mail, never the 60-day one afterwards); the event key
(`notifications.events.certification_expiry`) makes a repeated sweep write nothing. Only a
learner's current certificate is reminded of: a recertified learner hears nothing about the
old one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.models import LearnerCertification
from notifications import events
from notifications.models import MessageChannel, OutboxMessage
from notifications.services import MessageSpec, messages_enqueue


def due_threshold(expires_at: dt.datetime, now: dt.datetime) -> int | None:
    """The nearest threshold (days before expiry) whose time has come; None once expired."""
    if expires_at <= now:
        return None
    due = [
        days
        for days in settings.CERTIFICATION_REMINDER_DAYS
        if expires_at - dt.timedelta(days=days) <= now
    ]
    return min(due) if due else None


def certification_reminders_enqueue_due(*, now: dt.datetime | None = None) -> int:
    """Queue the due expiry reminders; returns how many rows were written."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=max(settings.CERTIFICATION_REMINDER_DAYS, default=0))
    certificates = (
        LearnerCertification.objects.filter(
            current=True, expires_at__gt=now, expires_at__lte=horizon, learner__is_active=True
        )
        .select_related("learner")
        .order_by("expires_at", "pk")
    )
    specs = []
    for certificate in certificates:
        assert certificate.expires_at is not None  # noqa: S101 - filtered above
        days = due_threshold(certificate.expires_at, now)
        if days is None:
            continue
        specs.append(
            MessageSpec(
                address=certificate.learner.email,
                recipient_id=certificate.learner_id,
                event_key=events.certification_expiry(certificate.pk, days),
                template="certification_expiring",
                rule=_("certification expires in %d days") % days,
                context={"learner_certification_id": certificate.pk, "days": days},
            )
        )
    if not specs:
        return 0
    known = set(
        OutboxMessage.objects.filter(
            channel=MessageChannel.EMAIL, event_key__in=[s.event_key for s in specs]
        ).values_list("address", "event_key")
    )
    fresh = [s for s in specs if (s.address, s.event_key) not in known]
    with transaction.atomic():
        return messages_enqueue(fresh, now=now)
