"""The sweep that reminds the lead instructor and the coordinators of sessions whose
attendance is still not signed off `ATTENDANCE_REMINDER_HOURS` after their last block ended.

Derived from the database each run (beat, `attendance.tasks.remind_sign_off`): a session is
due while it is scheduled or completed, has a confirmed learner, ended more than N hours ago
(but within `LOOKBACK` of that, so switching the feature on does not mail about every session
ever held) and has no `AttendanceSignOff`. One outbox row per session and recipient (the
event key `events.attendance_sign_off_due`), so running the sweep again sends nothing new;
the email is rendered at send time in the reader's zone, and skipped if the session was
signed off in between.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.selectors import awaiting_sign_off
from notifications import events
from notifications.services import MessageSpec, messages_enqueue
from scheduling.models import AssignmentRole, InstructorAssignment, Session
from tms.roles import Role

LOOKBACK = dt.timedelta(days=14)
TEMPLATE = "attendance_sign_off_due"


def sessions_awaiting_sign_off(now: dt.datetime) -> list[Session]:
    """Sessions due for the reminder at `now` (see the module's rule), oldest first."""
    due_before = now - dt.timedelta(hours=settings.ATTENDANCE_REMINDER_HOURS)
    recent = Session.objects.filter(ends_at__gt=due_before - LOOKBACK)
    return list(awaiting_sign_off(recent, ended_by=due_before))


def sign_off_reminders_enqueue(*, now: dt.datetime | None = None) -> int:
    """Queue the reminders due at `now`; returns how many outbox rows were written."""
    now = now or timezone.now()
    sessions = sessions_awaiting_sign_off(now)
    if not sessions:
        return 0
    leads = {
        assignment.session_id: assignment.instructor.user
        for assignment in InstructorAssignment.objects.filter(
            session__in=sessions, role=AssignmentRole.LEAD
        ).select_related("instructor__user")
    }
    coordinators = list(
        get_user_model()
        .objects.filter(groups__name=Role.COORDINATOR, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    rule = _("attendance not signed off %d h after the end") % settings.ATTENDANCE_REMINDER_HOURS
    specs = []
    for session in sessions:
        lead = leads.get(session.pk)
        people = ([lead] if lead is not None and lead.is_active else []) + [
            person for person in coordinators if lead is None or person.pk != lead.pk
        ]
        specs += [
            MessageSpec(
                address=person.email,
                recipient_id=person.pk,
                event_key=events.attendance_sign_off_due(session.pk, person.pk),
                template=TEMPLATE,
                rule=rule,
                context={
                    "session_id": session.pk,
                    "role": "lead" if lead is not None and person.pk == lead.pk else "coordinator",
                },
            )
            for person in people
        ]
    with transaction.atomic():
        return messages_enqueue(specs, now=now)
