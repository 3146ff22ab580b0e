"""What attendance's outbox rows become at send time: subject, template context, invite.

Registered with `notifications.registry` in `AttendanceConfig.ready()`. Every builder renders
for one reader: times in the recipient's zone (their settings, an instructor's home zone, or
the session's), named; the email transport prints the templates in that zone. A message that
is no longer true when its turn comes (a "waitlisted" mail for a learner who has a seat or has
left by then) is not sent (`Superseded`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils.translation import gettext as _

from attendance.models import AttendanceSignOff, Registration, RegistrationStatus, RosterMessage
from attendance.services.seats import waitlist_position
from attendance.tokens import course_waitlist_token, offer_token
from notifications.ical import invite
from notifications.models import OutboxMessage
from notifications.registry import Rendered, Superseded, register
from scheduling.invite_facts import block_facts, invite_events, session_facts
from scheduling.models import Session, SessionBlock
from tms.links import absolute_link
from tms.timezones import reader_zone


def _calendar_part(
    facts: dict[str, Any],
    registration: Registration,
    *,
    method: str,
    sequence: int,
    join_link: bool,
    now: dt.datetime,
) -> tuple[str, str]:
    learner = registration.learner
    text = invite(
        method=method,
        events=invite_events(facts, include_join_link=join_link, owner=f"r{registration.pk}"),
        sequence=sequence,
        time_zone=registration.session.time_zone,
        attendee_email=learner.email,
        attendee_name=learner.get_full_name(),
        now=now,
    )
    return text, method


def build_registration_message(message: OutboxMessage) -> Rendered:
    registration = Registration.objects.select_related(
        "learner__profile", "session__course", "session__host_account"
    ).get(pk=message.context["registration_id"])
    session = registration.session
    zone = reader_zone(registration.learner, session.time_zone)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    facts = session_facts(session, zone=zone, show_join_link=confirmed)
    context: dict[str, Any] = {
        **facts,
        **message.context,
        "learner": registration.learner,
        "registration": registration,
        "late": message.context.get("late", False),
    }
    title = f"{session.course.code} {session.course.title}"
    # The version confirmed; a later reschedule sends its own, higher, update.
    version = message.context.get("version", session.schedule_version)
    calendar = None
    template = message.template

    def calendar_part(method: str, sequence: int, *, join_link: bool) -> tuple[str, str]:
        return _calendar_part(
            facts,
            registration,
            method=method,
            sequence=sequence,
            join_link=join_link,
            now=message.created_at,
        )

    if template in {"registration_confirmed", "registration_promoted"}:
        subject = _("Confirmed: %s") % title
        calendar = calendar_part("REQUEST", version, join_link=True)
    elif template == "invite_update":
        subject = _("Updated: %s") % title
        calendar = calendar_part("REQUEST", version, join_link=confirmed)
    elif template == "registration_waitlisted":
        position = waitlist_position(
            session_id=session.pk, status=registration.status, rank=registration.waitlist_rank
        )
        if position is None:
            raise Superseded(
                _("The learner is no longer waitlisted (now %s).")
                % registration.get_status_display().lower()
            )
        context["position"] = position
        context["leave_url"] = absolute_link(
            "attendance:offer", offer_token(registration.pk, "leave")
        )
        subject = _("Waitlisted (position %(n)s): %(t)s") % {"n": position, "t": title}
    elif template == "seat_offered":
        deadline = dt.datetime.fromisoformat(message.context["deadline"])
        context["deadline"] = deadline.astimezone(zoneinfo.ZoneInfo(zone))
        context["accept_url"] = absolute_link(
            "attendance:offer", offer_token(registration.pk, "accept")
        )
        context["decline_url"] = absolute_link(
            "attendance:offer", offer_token(registration.pk, "decline")
        )
        subject = _("A seat is free for you: %s") % title
    elif template == "offer_expired":
        subject = _("Your offered seat has expired: %s") % title
    elif template == "registration_cancelled":
        subject = _("Cancelled: %s") % title
        if message.context.get("calendar_cancel"):
            calendar = calendar_part("CANCEL", session.schedule_version + 1, join_link=False)
    else:  # pragma: no cover - registry only routes known templates here
        raise LookupError(template)
    return Rendered(subject=subject, context=context, calendar=calendar, time_zone=zone)


def build_course_waitlist_message(message: OutboxMessage) -> Rendered:
    context = dict(message.context)
    if "entry_id" in context:
        token = course_waitlist_token(context["entry_id"])
        context["leave_url"] = absolute_link("attendance:course-waitlist-link", token)
    zone = reader_zone(message.recipient, "UTC")
    return Rendered(
        subject=_("You are on the waitlist for any date of %s") % message.context["course_title"],
        context=context,
        time_zone=zone,
    )


def build_reminder(message: OutboxMessage) -> Rendered:
    block = SessionBlock.objects.select_related("session__course", "room__site").get(
        pk=message.context["block_id"]
    )
    session = block.session
    recipient = message.recipient
    zone = reader_zone(recipient, session.time_zone)
    is_teacher = message.context.get("role") == "instructor"
    confirmed = (
        is_teacher
        or Registration.objects.filter(
            session=session, learner=recipient, status=RegistrationStatus.CONFIRMED
        ).exists()
    )
    facts = session_facts(session, zone=zone, show_join_link=confirmed)
    local = zoneinfo.ZoneInfo(zone)
    context = {
        **facts,
        # "part", not "block": templates that extend another one have a `block` of their own.
        "part": block_facts(block, local),
        "hours": message.context["hours"],
        "recipient": recipient,
        "is_instructor": is_teacher,
    }
    subject = _("Reminder: %(code)s %(title)s starts %(when)s") % {
        "code": session.course.code,
        "title": session.course.title,
        "when": block.starts_at.astimezone(local).strftime("%a %d %b %H:%M %Z"),
    }
    return Rendered(subject=subject, context=context, time_zone=zone)


def build_low_enrolment(message: OutboxMessage) -> Rendered:
    session = Session.objects.select_related("course").get(pk=message.context["session_id"])
    zone = reader_zone(message.recipient, session.time_zone)
    facts = session_facts(session, zone=zone, show_join_link=False)
    subject = _("Low enrolment: %(code)s on %(day)s (%(n)s of minimum %(m)s)") % {
        "code": session.course.code,
        "day": facts["blocks"][0]["starts"].strftime("%d %b") if facts["blocks"] else "?",
        "n": message.context["confirmed"],
        "m": message.context["minimum"],
    }
    return Rendered(subject=subject, context={**facts, **message.context}, time_zone=zone)


def build_roster_message(message: OutboxMessage) -> Rendered:
    """A coordinator's message to a session's learners: their words, then the session's dates
    in the recipient's zone (the join link only for a confirmed seat)."""
    kept = RosterMessage.objects.select_related("session__course", "sent_by").get(
        pk=message.context["roster_message_id"]
    )
    session = kept.session
    recipient = message.recipient
    zone = reader_zone(recipient, session.time_zone)
    confirmed = Registration.objects.filter(
        session=session, learner=recipient, status=RegistrationStatus.CONFIRMED
    ).exists()
    facts = session_facts(session, zone=zone, show_join_link=confirmed)
    sender = kept.sent_by.get_full_name() or kept.sent_by.get_username()
    context = {**facts, "body": kept.body, "sender": sender, "recipient": recipient}
    subject = f"{session.course.code}: {kept.subject}"
    return Rendered(subject=subject, context=context, time_zone=zone)


def build_sign_off_due(message: OutboxMessage) -> Rendered:
    """ "Attendance not signed off": to the session's instructors (lead and co-facilitators)
    and the coordinators, each in words for their part (the lead signs off; a co-facilitator
    may take the attendance; a coordinator is told whether the lead was reminded), with the
    session's end in the reader's zone, named, and a link to the attendance page. Skipped if
    the attendance was signed off by the time it is sent."""
    session = Session.objects.select_related("course").get(pk=message.context["session_id"])
    if AttendanceSignOff.objects.filter(session=session).exists():
        raise Superseded(_("The attendance was signed off before this reminder was sent."))
    zone = reader_zone(message.recipient, session.time_zone)
    facts = session_facts(session, zone=zone, show_join_link=False)
    ended = session.ends_at.astimezone(zoneinfo.ZoneInfo(zone)) if session.ends_at else None
    subject = _("Attendance not signed off: %(code)s %(title)s (ended %(when)s)") % {
        "code": session.course.code,
        "title": session.course.title,
        "when": ended.strftime("%a %d %b %H:%M %Z") if ended else "?",
    }
    context = {
        **facts,
        "ended": ended,
        "is_lead": message.context.get("role") == "lead",
        "is_co_facilitator": message.context.get("role") == "co_facilitator",
        "lead_reminded": message.context.get("lead_reminded", True),
        "attendance_url": absolute_link("attendance:attendance-sheet", session.pk),
    }
    return Rendered(subject=subject, context=context, time_zone=zone)


REGISTRATION_TEMPLATES = (
    "registration_confirmed",
    "registration_promoted",
    "registration_waitlisted",
    "registration_cancelled",
    "seat_offered",
    "offer_expired",
    "invite_update",
)


def register_builders() -> None:
    for template in REGISTRATION_TEMPLATES:
        register(template, build_registration_message)
    register("course_waitlist_joined", build_course_waitlist_message)
    register("reminder", build_reminder)
    register("low_enrolment", build_low_enrolment)
    register("roster_message", build_roster_message)
    register("attendance_sign_off_due", build_sign_off_due)
