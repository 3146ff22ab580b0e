"""What attendance tells people, queued in the same transaction as the change (the outbox).

Rows store the facts of the moment (position, deadline); the builders registered with
`notifications.registry` render them at send time with the session's current details.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from attendance.models import CourseWaitlistEntry, Registration, RegistrationStatus
from attendance.services.seats import waitlist_position
from notifications.ical import InviteEvent, invite
from notifications.registry import Rendered, register
from notifications.services import MessageSpec, messages_enqueue
from scheduling.models import BlockStatus, DeliveryMode, Session
from tms.celery import enqueue_safely

OFFER_SALT = "attendance.offer"
COURSE_WAITLIST_SALT = "attendance.course_waitlist"


def _spec(
    learner: AbstractBaseUser, event: str, template: str, rule: str, **context: Any
) -> MessageSpec:
    return MessageSpec(
        to_email=getattr(learner, "email", ""),
        recipient=learner,
        event_key=event,
        template=template,
        rule=rule,
        context=context,
    )


def registration_messages_json() -> str:
    """Events, templates and rules of the message a new registration sends, by the status it
    got, as JSON: the seat-taking function (`attendance_take_seat`) writes it to the outbox
    itself, in the same statement as the registration. Built once per language."""
    return _registration_messages_json(get_language() or "")


@functools.lru_cache(maxsize=32)
def _registration_messages_json(_language: str) -> str:
    return json.dumps(
        {
            RegistrationStatus.CONFIRMED: {
                "event": "registration.confirmed:",
                "template": "registration_confirmed",
                "rule": str(_("registration")),
            },
            RegistrationStatus.WAITLISTED: {
                "event": "registration.waitlisted:",
                "template": "registration_waitlisted",
                "rule": str(_("registration (session full)")),
            },
        }
    )


def queue_registration_event(
    registration: Registration, *, position: int | None, now: dt.datetime, accepted: bool = False
) -> None:
    if registration.status == RegistrationStatus.CONFIRMED:
        spec = _spec(
            registration.learner,
            f"registration.confirmed:{registration.pk}",
            "registration_confirmed",
            _("offer accepted") if accepted else _("registration"),
            registration_id=registration.pk,
            version=registration.invite_version,
        )
    else:
        spec = _spec(
            registration.learner,
            f"registration.waitlisted:{registration.pk}",
            "registration_waitlisted",
            _("registration (session full)"),
            registration_id=registration.pk,
            position=position,
        )
    messages_enqueue([spec], now=now)


def queue_cancellation(
    registration: Registration, *, send_calendar_cancel: bool, now: dt.datetime
) -> None:
    messages_enqueue(
        [
            _spec(
                registration.learner,
                f"registration.cancelled:{registration.pk}",
                "registration_cancelled",
                _("cancellation"),
                registration_id=registration.pk,
                calendar_cancel=send_calendar_cancel,
                late=registration.late_cancellation,
            )
        ],
        now=now,
    )


def queue_promotion(registration: Registration, *, now: dt.datetime) -> None:
    if registration.status == RegistrationStatus.OFFERED:
        spec = _spec(
            registration.learner,
            f"registration.offered:{registration.pk}",
            "seat_offered",
            _("waitlist promotion (offer)"),
            registration_id=registration.pk,
            deadline=registration.offer_expires_at.isoformat()
            if registration.offer_expires_at
            else None,
        )
    else:
        spec = _spec(
            registration.learner,
            f"registration.promoted:{registration.pk}",
            "registration_promoted",
            _("waitlist promotion (auto-confirm)"),
            registration_id=registration.pk,
            version=registration.invite_version,
        )
    messages_enqueue([spec], now=now)


def queue_offer_expired(registration: Registration, *, now: dt.datetime) -> None:
    messages_enqueue(
        [
            _spec(
                registration.learner,
                f"registration.offer_expired:{registration.pk}",
                "offer_expired",
                _("offer expiry"),
                registration_id=registration.pk,
            )
        ],
        now=now,
    )


def queue_course_waitlist_joined(entry: CourseWaitlistEntry, *, now: dt.datetime) -> None:
    messages_enqueue(
        [
            _spec(
                entry.learner,
                f"course_waitlist.joined:{entry.pk}",
                "course_waitlist_joined",
                _("any-date waitlist"),
                course_code=entry.course.code,
                course_title=entry.course.title,
                entry_id=entry.pk,
            )
        ],
        now=now,
    )


def promote_after_commit(session_id: int) -> None:
    from attendance.tasks import promote_waitlist

    transaction.on_commit(lambda: enqueue_safely(promote_waitlist, session_id))


# --- Rendering (at send time) -----------------------------------------------------------------


def offer_token(registration_id: int, action: str) -> str:
    return signing.dumps({"r": registration_id, "a": action}, salt=OFFER_SALT)


def read_offer_token(token: str, *, max_age: dt.timedelta | None = None) -> tuple[int, str]:
    data = signing.loads(token, salt=OFFER_SALT, max_age=max_age)
    return int(data["r"]), str(data["a"])


def course_waitlist_token(entry_id: int) -> str:
    """The "leave the any-date waitlist" link of one entry."""
    return signing.dumps({"c": entry_id}, salt=COURSE_WAITLIST_SALT)


def read_course_waitlist_token(token: str, *, max_age: dt.timedelta | None = None) -> int:
    return int(signing.loads(token, salt=COURSE_WAITLIST_SALT, max_age=max_age)["c"])


def _link(name: str, *args: Any) -> str:
    try:
        return settings.SITE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return settings.SITE_URL


def recipient_zone(user: AbstractBaseUser | None, fallback: str) -> str:
    """The time zone a person reads times in: the one chosen in their settings, an
    instructor's home zone, or the venue's."""
    if user is None:
        return fallback
    profile = getattr(user, "profile", None)
    if profile is not None:
        return str(profile.time_zone)
    instructor = getattr(user, "instructor_profile", None)
    if instructor is not None:
        return str(instructor.home_time_zone)
    return fallback


def session_facts(session: Session, *, zone: str, show_join_link: bool) -> dict[str, Any]:
    """Course, blocks in the reader's zone, and where: room and address, or the join link."""
    local = zoneinfo.ZoneInfo(zone)
    blocks = [
        {
            "starts": b.starts_at.astimezone(local),
            "ends": b.ends_at.astimezone(local),
            "room": str(b.room.name) if b.room else "",
            "site": str(b.room.site.name) if b.room else "",
            "address": str(b.room.site.address) if b.room else "",
            "cancelled": b.status != BlockStatus.ACTIVE,
            "id": b.pk,
        }
        for b in session.blocks.select_related("room__site").order_by("starts_at")
    ]
    return {
        "session": session,
        "course": session.course,
        "blocks": blocks,
        "time_zone": zone,
        "is_virtual": session.delivery_mode == DeliveryMode.VILT,
        "join_url": session.join_url if show_join_link else "",
        "session_url": _link("scheduling:session-detail", session.pk),
    }


def invite_events(
    facts: dict[str, Any], *, include_join_link: bool, owner: str
) -> list[InviteEvent]:
    """One VEVENT per block. UIDs are stable per block and per registration (`owner`), so a
    learner who cancels and registers again gets fresh events rather than cancelled ones."""
    session: Session = facts["session"]
    events = []
    for block in facts["blocks"]:
        where = (
            session.join_url
            if facts["is_virtual"] and include_join_link
            else ", ".join(x for x in (block["room"], block["site"], block["address"]) if x)
        )
        events.append(
            InviteEvent(
                uid=f"tms-block-{block['id']}-{owner}@{settings.INVITE_UID_DOMAIN}",
                starts_at=block["starts"],
                ends_at=block["ends"],
                summary=f"{session.course.code} {session.course.title}",
                location=where,
                description=facts["session_url"],
                url=facts["session_url"],
                cancelled=block["cancelled"],
            )
        )
    return events


def build_registration_message(message: Any) -> Rendered:
    registration = Registration.objects.select_related(
        "learner", "session__course", "session__host_account"
    ).get(pk=message.context["registration_id"])
    session = registration.session
    zone = recipient_zone(registration.learner, session.time_zone)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    facts = session_facts(session, zone=zone, show_join_link=confirmed)
    context: dict[str, Any] = {
        **facts,
        **message.context,
        "learner": registration.learner,
        "registration": registration,
        "position": message.context.get("position"),
        "late": message.context.get("late", False),
    }
    title = f"{session.course.code} {session.course.title}"
    learner = registration.learner

    def calendar_part(method: str, sequence: int, *, join_link: bool) -> tuple[str, str]:
        text = invite(
            method=method,
            events=invite_events(facts, include_join_link=join_link, owner=f"r{registration.pk}"),
            sequence=sequence,
            time_zone=session.time_zone,
            attendee_email=learner.email,
            attendee_name=learner.get_full_name(),
            now=message.created_at,
        )
        return text, method

    # The version confirmed; a later reschedule sends its own, higher, update.
    version = message.context.get("version", session.schedule_version)
    calendar = None
    template = message.template
    if template in {"registration_confirmed", "registration_promoted"}:
        subject = _("Confirmed: %s") % title
        calendar = calendar_part("REQUEST", version, join_link=True)
    elif template == "invite_update":
        subject = _("Updated: %s") % title
        calendar = calendar_part("REQUEST", version, join_link=confirmed)
    elif template == "registration_waitlisted":
        context["leave_url"] = _link("attendance:offer", offer_token(registration.pk, "leave"))
        if context.get("position") is None:  # queued by the seat-taking statement
            context["position"] = waitlist_position(registration)
        if context["position"] is None:  # promoted meanwhile; the promotion mail follows
            subject = _("Waitlisted: %s") % title
        else:
            subject = _("Waitlisted (position %(n)s): %(t)s") % {
                "n": context["position"],
                "t": title,
            }
    elif template == "seat_offered":
        deadline = dt.datetime.fromisoformat(message.context["deadline"])
        context["deadline"] = deadline.astimezone(zoneinfo.ZoneInfo(zone))
        context["accept_url"] = _link("attendance:offer", offer_token(registration.pk, "accept"))
        context["decline_url"] = _link("attendance:offer", offer_token(registration.pk, "decline"))
        subject = _("A seat is free for you: %s") % title
    elif template == "offer_expired":
        subject = _("Your offered seat has expired: %s") % title
    elif template == "registration_cancelled":
        subject = _("Cancelled: %s") % title
        if message.context.get("calendar_cancel"):
            calendar = calendar_part("CANCEL", session.schedule_version + 1, join_link=False)
    else:  # pragma: no cover - registry only routes known templates here
        raise LookupError(template)
    return Rendered(subject=subject, context=context, calendar=calendar)


def build_course_waitlist_message(message: Any) -> Rendered:
    context = dict(message.context)
    if "entry_id" in context:
        token = course_waitlist_token(context["entry_id"])
        context["leave_url"] = _link("attendance:course-waitlist-link", token)
    return Rendered(
        subject=_("You are on the waitlist for any date of %s") % message.context["course_title"],
        context=context,
    )


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
