"""The sweep that reminds the instructors (the lead and every co-facilitator) and the
coordinators of sessions whose attendance is still not signed off `ATTENDANCE_REMINDER_HOURS`
after their last block ended.

Derived from the database each run (beat, `attendance.tasks.remind_sign_off`): a session is
due while it is scheduled or completed, has a confirmed learner, ended more than N hours ago
(but within `LOOKBACK` of that, so switching the feature on does not mail about every session
ever held) and has no `AttendanceSignOff`. One outbox row per session and recipient (the
event key `events.attendance_sign_off_due`), so running the sweep again sends nothing new;
each person hears once per session whatever their roles, and nobody without an email address
gets a row (the others still do: a lead without one leaves the coordinators told, and told so).
The email is rendered at send time in the reader's zone, and skipped if the session was
signed off in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
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


@dataclass(frozen=True)
class Recipient:
    person: User
    role: str  # "lead", "co_facilitator" or "coordinator" (the email's wording)
    lead_reminded: bool  # the session's lead hears too (the coordinators' email says so)


def _recipients(sessions: list[Session]) -> dict[int, list[Recipient]]:
    """Per session id: every instructor of the session (the lead first, then the
    co-facilitators) and every coordinator, once each (a coordinator who teaches the session
    hears as its instructor), leaving out inactive people and those without an email address.
    Two queries."""
    staff: dict[int, list[tuple[User, str]]] = {s.pk: [] for s in sessions}
    for assignment in (
        InstructorAssignment.objects.filter(session__in=sessions)
        .select_related("instructor__user")
        .order_by("pk")
    ):
        staff[assignment.session_id].append((assignment.instructor.user, str(assignment.role)))
    coordinators = [
        (person, "coordinator")
        for person in User.objects.filter(groups__name=Role.COORDINATOR).order_by("pk")
    ]
    found = {}
    for session in sessions:
        lead_first = sorted(staff[session.pk], key=lambda pair: pair[1] != AssignmentRole.LEAD)
        reachable: dict[int, tuple[User, str]] = {}
        for person, role in [*lead_first, *coordinators]:
            if person.pk not in reachable and person.is_active and person.email.strip():
                reachable[person.pk] = (person, role)
        lead_reminded = any(role == AssignmentRole.LEAD for _p, role in reachable.values())
        found[session.pk] = [
            Recipient(person, role, lead_reminded) for person, role in reachable.values()
        ]
    return found


def sign_off_reminders_enqueue(*, now: dt.datetime | None = None) -> int:
    """Queue the reminders due at `now`; returns how many outbox rows were written."""
    now = now or timezone.now()
    sessions = sessions_awaiting_sign_off(now)
    if not sessions:
        return 0
    recipients = _recipients(sessions)
    rule = _("attendance not signed off %d h after the end") % settings.ATTENDANCE_REMINDER_HOURS
    specs = [
        MessageSpec(
            address=to.person.email.strip(),
            recipient_id=to.person.pk,
            event_key=events.attendance_sign_off_due(session.pk, to.person.pk),
            template=TEMPLATE,
            rule=rule,
            context={
                "session_id": session.pk,
                "role": to.role,
                "lead_reminded": to.lead_reminded,
            },
        )
        for session in sessions
        for to in recipients[session.pk]
    ]
    with transaction.atomic():
        return messages_enqueue(specs, now=now)
