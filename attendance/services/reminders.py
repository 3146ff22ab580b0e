"""Periodic sweeps that derive messages from the database: reminders, invite updates after a
reschedule, low-enrolment alerts. (A cancelled session's learners are told by the database in
the cancelling transaction: attendance/sql/attendance_session_cancelled.sql.)

Each sweep is idempotent: the outbox's unique (channel, address, event) key turns a repeated
sweep into no new rows.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Registration, RegistrationStatus
from notifications import events
from notifications.models import MessageChannel, OutboxMessage
from notifications.services import MessageSpec, messages_enqueue
from scheduling.models import (
    BlockStatus,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from tms.roles import Role


def reminder_time(starts_at: dt.datetime, hours: int, zone: str) -> dt.datetime:
    """When the reminder `hours` before `starts_at` is due.

    Whole days are calendar days in the session's zone: the "24 h" reminder of a 09:00 block
    comes at 09:00 local the day before, also across a daylight-saving change (when that day
    is 23 or 25 hours long). Shorter offsets are exact durations.
    """
    if hours % 24 == 0:
        local = starts_at.astimezone(zoneinfo.ZoneInfo(zone))
        earlier = local.replace(tzinfo=None) - dt.timedelta(days=hours // 24)
        return earlier.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.UTC)
    return starts_at - dt.timedelta(hours=hours)


def due_offset(block_start: dt.datetime, zone: str, now: dt.datetime) -> int | None:
    """The nearest offset whose time has come (only the nearest is sent)."""
    if block_start <= now:
        return None
    due = [h for h in settings.REMINDER_OFFSETS_HOURS if reminder_time(block_start, h, zone) <= now]
    return min(due) if due else None


def reminders_enqueue_due(*, now: dt.datetime | None = None) -> int:
    """Queue reminders for confirmed learners and assigned instructors of upcoming blocks."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=max(settings.REMINDER_OFFSETS_HOURS, default=0) + 2)
    blocks = SessionBlock.objects.filter(
        status=BlockStatus.ACTIVE,
        session__status=SessionStatus.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=horizon,
    ).select_related("session")
    specs: list[MessageSpec] = []
    for block in blocks:
        offset = due_offset(block.starts_at, block.session.time_zone, now)
        if offset is None:
            continue
        learners = Registration.objects.filter(
            session_id=block.session_id, status=RegistrationStatus.CONFIRMED
        ).select_related("learner")
        for registration in learners:
            specs.append(
                MessageSpec(
                    address=registration.learner.email,
                    recipient_id=registration.learner_id,
                    event_key=events.reminder(block.pk, offset, registration.learner_id),
                    template="reminder",
                    rule=_("reminder %d h before") % offset,
                    context={"block_id": block.pk, "hours": offset, "role": "learner"},
                )
            )
        teachers = InstructorAssignment.objects.filter(session_id=block.session_id).select_related(
            "instructor__user"
        )
        for assignment in teachers:
            user = assignment.instructor.user
            specs.append(
                MessageSpec(
                    address=user.email,
                    recipient_id=user.pk,
                    event_key=events.reminder(block.pk, offset, user.pk),
                    template="reminder",
                    rule=_("reminder %d h before") % offset,
                    context={"block_id": block.pk, "hours": offset, "role": "instructor"},
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


def invites_sync(*, now: dt.datetime | None = None, session_id: int | None = None) -> int:
    """After a reschedule, send confirmed learners an updated invite (higher SEQUENCE)."""
    now = now or timezone.now()
    stale = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        session__status=SessionStatus.SCHEDULED,
        invite_version__lt=F("session__schedule_version"),
    ).select_related("learner", "session")
    if session_id is not None:
        stale = stale.filter(session_id=session_id)
    count = 0
    for registration in stale:
        version = registration.session.schedule_version
        with transaction.atomic():
            claimed = Registration.objects.filter(
                pk=registration.pk, invite_version__lt=version
            ).update(invite_version=version)
            if claimed:  # another sweep did not get here first
                messages_enqueue(
                    [
                        MessageSpec(
                            address=registration.learner.email,
                            recipient_id=registration.learner_id,
                            event_key=events.invite_update(registration.pk, version),
                            template="invite_update",
                            rule=_("session rescheduled"),
                            context={"registration_id": registration.pk, "version": version},
                        )
                    ],
                    now=now,
                )
                count += 1
    return count


def low_enrolment_alerts(*, now: dt.datetime | None = None) -> int:
    """Tell coordinators about sessions still below their minimum N days before start."""
    now = now or timezone.now()
    soon = now + dt.timedelta(days=settings.LOW_ENROLMENT_ALERT_DAYS)
    sessions = (
        Session.objects.filter(
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
            starts_at__lte=soon,
            min_attendees__gt=0,
        )
        .annotate(
            confirmed=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            )
        )
        .filter(confirmed__lt=F("min_attendees"))
        .select_related("course")
    )
    coordinators = list(
        get_user_model()
        .objects.filter(groups__name=Role.COORDINATOR, is_active=True)
        .exclude(email="")
    )
    specs = [
        MessageSpec(
            address=person.email,
            recipient_id=person.pk,
            event_key=events.low_enrolment(session.pk),
            template="low_enrolment",
            rule=_("low enrolment %d days before") % settings.LOW_ENROLMENT_ALERT_DAYS,
            context={
                "session_id": session.pk,
                "confirmed": session.confirmed,
                "minimum": session.min_attendees,
            },
        )
        for session in sessions
        for person in coordinators
    ]
    with transaction.atomic():
        return messages_enqueue(specs, now=now)
