"""What the instructors' outbox rows become at send time: subject, body context, iTIP invite.

Registered with `notifications.registry` in `SchedulingConfig.ready()`; queued by
scheduling/services/instructor_invites.py. Times are shown in the instructor's zone (their
settings, else their home zone, else the session's), named; the invite itself carries wall
times in the session's zone with its VTIMEZONE, as the learners' invites and the feeds do.
Where: room, site and address for a room session; the join link for a video-call session
(instructors always get it).

A REQUEST is sent only while it is the latest truth: if the session was rescheduled again
(its schedule version moved on), cancelled, or the instructor removed before the mail left,
a newer message replaces it and this one is skipped (`Superseded`), so an instructor never
receives an old time after a new one. The first invite that does leave is worded as the
assignment it is, and a CANCEL of an assignment none of whose invites can have left is
skipped too: nobody is told about a change to something they never heard of.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import dateformat
from django.utils.translation import gettext as _

from notifications import events
from notifications.ical import invite
from notifications.models import OutboxMessage
from notifications.registry import Rendered, Superseded, register
from notifications.selectors import may_have_reached
from scheduling.invite_facts import invite_events, session_facts
from scheduling.models import (
    AssignmentRole,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services.instructor_invites import (
    CANCEL_TEMPLATE,
    INVITE_TEMPLATE,
    InviteReason,
)
from tms.timezones import local_label, reader_zone


def assignment_owner(assignment_id: int) -> str:
    """The UID owner of an assignment's events: invites and the instructor's feed agree."""
    return f"a{assignment_id}"


def _first_start(facts: dict[str, Any]) -> str:
    """The first (active, else any) block's start in the reader's zone, zone named."""
    blocks = facts["blocks"]
    chosen = [b for b in blocks if not b["cancelled"]] or blocks
    if not chosen:
        return ""
    starts = chosen[0]["starts"]
    return f"{dateformat.format(starts, 'D j M Y, H:i')} {local_label(starts)}"


def _subject(reason: str, facts: dict[str, Any]) -> str:
    values = {
        "code": facts["course"].code,
        "title": facts["course"].title,
        "when": _first_start(facts),
    }
    if reason == InviteReason.ASSIGNED:
        return _("You are teaching %(code)s %(title)s from %(when)s") % values
    if reason == InviteReason.RESCHEDULED:
        return _("Schedule changed: %(code)s %(title)s, now from %(when)s") % values
    if reason == InviteReason.REMOVED:
        return _("You no longer teach %(code)s %(title)s (from %(when)s)") % values
    return _("Cancelled: %(code)s %(title)s (from %(when)s)") % values


def _calendar(
    facts: dict[str, Any],
    *,
    method: str,
    sequence: int,
    assignment_id: int,
    person: User,
    message: OutboxMessage,
) -> tuple[str, str]:
    session: Session = facts["session"]
    text = invite(
        method=method,
        events=invite_events(facts, include_join_link=True, owner=assignment_owner(assignment_id)),
        sequence=sequence,
        time_zone=session.time_zone,
        attendee_email=person.email,
        attendee_name=person.get_full_name(),
        now=message.created_at,
    )
    return text, method


def build_instructor_invite(message: OutboxMessage) -> Rendered:
    """REQUEST at the version queued, if that is still the session's version."""
    context = message.context
    assignment = (
        InstructorAssignment.objects.select_related("session__course", "instructor__user__profile")
        .filter(pk=context["assignment_id"])
        .first()
    )
    if assignment is None:
        raise Superseded(_("The instructor was removed from the session; a cancellation follows."))
    session = assignment.session
    if session.status == SessionStatus.CANCELLED:
        raise Superseded(_("The session was cancelled; a cancellation follows."))
    if session.schedule_version != context["version"]:
        raise Superseded(
            _("The session was changed again (version %(now)s): the newer invite replaces it.")
            % {"now": session.schedule_version}
        )
    person = assignment.instructor.user
    reason = context["reason"]
    if reason == InviteReason.RESCHEDULED and not _invited_before(message):
        reason = InviteReason.ASSIGNED  # the earlier versions were superseded unsent
    zone = reader_zone(person, session.time_zone)
    blocks = session.blocks.select_related("room__site").order_by("starts_at", "pk")
    facts = session_facts(session, zone=zone, show_join_link=True, blocks=blocks)
    return Rendered(
        subject=_subject(reason, facts),
        context={
            **facts,
            "reason": reason,
            "role": AssignmentRole(assignment.role).label,
            "recipient": person,
        },
        calendar=_calendar(
            facts,
            method="REQUEST",
            sequence=context["version"],
            assignment_id=assignment.pk,
            person=person,
            message=message,
        ),
        time_zone=zone,
    )


def build_instructor_cancel(message: OutboxMessage) -> Rendered:
    """CANCEL of the blocks the instructor was invited to; the assignment may be gone."""
    context = message.context
    person = message.recipient
    if person is None:
        raise Superseded(_("The instructor's account no longer exists."))
    if not _invited_before(message):
        raise Superseded(_("No invite for this assignment was sent: nothing to cancel."))
    session = Session.objects.select_related("course").get(pk=context["session_id"])
    zone = reader_zone(person, session.time_zone)
    blocks = SessionBlock.objects.filter(pk__in=context["block_ids"]).select_related("room__site")
    facts = session_facts(
        session, zone=zone, show_join_link=True, blocks=blocks.order_by("starts_at", "pk")
    )
    return Rendered(
        subject=_subject(context["reason"], facts),
        context={
            **facts,
            "reason": context["reason"],
            "role": AssignmentRole(context["role"]).label,
            "recipient": person,
            "cancellation_reason": session.cancellation_reason,
        },
        calendar=_calendar(
            facts,
            method="CANCEL",
            sequence=context["sequence"],
            assignment_id=context["assignment_id"],
            person=person,
            message=message,
        ),
        time_zone=zone,
    )


def _invited_before(message: OutboxMessage) -> bool:
    """Whether an invite (any version) of the message's assignment may have reached them."""
    return may_have_reached(
        address=message.address,
        event_prefix=events.instructor_invites(message.context["assignment_id"]),
        other_than=message.pk,
    )


def register_builders() -> None:
    register(INVITE_TEMPLATE, build_instructor_invite)
    register(CANCEL_TEMPLATE, build_instructor_cancel)
