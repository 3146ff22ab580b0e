"""What attendance tells people, queued in the same transaction as the change (the outbox).

Rows store the facts of the moment (a position, a deadline); `attendance.emails` renders them
at send time with the session's current details. Messages of seat changes are queued by the
seat door itself, from the sets built here (`door_messages`); the others by `notices_queue`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from attendance.models import CourseWaitlistEntry, Registration, RegistrationStatus
from notifications import events
from notifications.events import RegistrationEvent
from notifications.services import MessageSpec, messages_enqueue


class DoorCall(StrEnum):
    """Why the seat door is called: each queues its own messages."""

    REGISTER = "register"
    PROMOTE = "promote"
    ACCEPT = "accept"


def door_messages(call: DoorCall) -> str:
    """The messages the seat door queues for `call`, by the status it gives, as the JSON the
    door reads (event pattern, template, rule). Built once per language."""
    return _door_messages(call, get_language() or "")


@functools.lru_cache(maxsize=32)
def _door_messages(call: DoorCall, _language: str) -> str:
    def message(event: RegistrationEvent, template: str, rule: str) -> dict[str, str]:
        return {"event": events.registration_pattern(event), "template": template, "rule": rule}

    confirmed, waitlisted, offered = (
        RegistrationStatus.CONFIRMED.value,
        RegistrationStatus.WAITLISTED.value,
        RegistrationStatus.OFFERED.value,
    )
    sets: dict[DoorCall, dict[str, dict[str, str]]] = {
        DoorCall.REGISTER: {
            confirmed: message(
                RegistrationEvent.CONFIRMED, "registration_confirmed", _("registration")
            ),
            waitlisted: message(
                RegistrationEvent.WAITLISTED,
                "registration_waitlisted",
                _("registration (session full)"),
            ),
        },
        DoorCall.PROMOTE: {
            confirmed: message(
                RegistrationEvent.PROMOTED,
                "registration_promoted",
                _("waitlist promotion (auto-confirm)"),
            ),
            offered: message(
                RegistrationEvent.OFFERED, "seat_offered", _("waitlist promotion (offer)")
            ),
        },
        DoorCall.ACCEPT: {
            confirmed: message(
                RegistrationEvent.CONFIRMED, "registration_confirmed", _("offer accepted")
            ),
        },
    }
    return json.dumps(sets[call])


def _spec(learner: User, event_key: str, template: str, rule: str, **context: Any) -> MessageSpec:
    return MessageSpec(
        address=getattr(learner, "email", ""),
        recipient_id=learner.pk,
        event_key=event_key,
        template=template,
        rule=rule,
        context=context,
    )


def queue_cancellation(
    registration: Registration, *, send_calendar_cancel: bool, now: dt.datetime
) -> int:
    return messages_enqueue(
        [
            _spec(
                registration.learner,
                events.registration(RegistrationEvent.CANCELLED, registration.pk),
                "registration_cancelled",
                _("cancellation"),
                registration_id=registration.pk,
                calendar_cancel=send_calendar_cancel,
                late=registration.late_cancellation,
            )
        ],
        now=now,
    )


def queue_offer_expired(registration: Registration, *, now: dt.datetime) -> int:
    return messages_enqueue(
        [
            _spec(
                registration.learner,
                events.registration(RegistrationEvent.OFFER_EXPIRED, registration.pk),
                "offer_expired",
                _("offer expiry"),
                registration_id=registration.pk,
            )
        ],
        now=now,
    )


def queue_course_waitlist_joined(entry: CourseWaitlistEntry, *, now: dt.datetime) -> int:
    return messages_enqueue(
        [
            _spec(
                entry.learner,
                events.course_waitlist_joined(entry.pk),
                "course_waitlist_joined",
                _("any-date waitlist"),
                course_code=entry.course.code,
                course_title=entry.course.title,
                entry_id=entry.pk,
            )
        ],
        now=now,
    )
