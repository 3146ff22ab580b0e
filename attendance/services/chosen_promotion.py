"""A coordinator gives a free seat to a learner of their choice from the waitlist.

The line is normally served in order (attendance.services.promotion); this is the deliberate
exception, so it needs a reason, which is kept (`WaitlistPromotion`, as `WaitlistMove` keeps a
move's). The seat is still taken only through the seat door (`take_seat`), under the session
lock, with the session's promotion policy: confirmed, or offered until the deadline the policy
gives. No free seat: refused, and the coordinator is told that someone must leave first. The
learner's email (confirmed or offered) is queued by the door in the same transaction, exactly
as for a promotion from the head of the line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from http import HTTPStatus

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Registration, RegistrationStatus, WaitlistPromotion
from attendance.services import notices
from attendance.services.notices import DoorCall
from attendance.services.promotion import promotion_deadline, withdraw_other_course_places
from attendance.services.seats import (
    SeatRequest,
    free_seats,
    lock_session_for_seats,
    take_seat,
    waitlist_position,
)
from scheduling.models import SessionBlock
from tms.exceptions import DomainError, InvalidTransition, RuleViolation, ScheduleClash

REASON_MAX_LENGTH = 500


class NoSeatFree(DomainError):
    """Every seat is held: a chosen learner can only get one after someone leaves."""

    status_code = HTTPStatus.CONFLICT
    code = "session_full"


@dataclass(frozen=True)
class ChosenPromotion:
    """What the chosen learner got: a confirmed seat, or an offer until `offer_expires_at`."""

    registration_id: int
    status: str
    offer_expires_at: dt.datetime | None
    from_position: int


def _who(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


def waitlist_promote_chosen(
    *,
    registration_id: int,
    promoted_by: User,
    reason: str,
    now: dt.datetime | None = None,
) -> ChosenPromotion:
    """Give the free seat to this waitlisted learner, wherever they stand in the line.

    Rules: a reason is required; the learner must still be waitlisted; the session's promotion
    cut-off applies (no promotion once it has passed); a seat must be free (else `NoSeatFree`:
    someone must leave first); the learner must not hold a clashing seat. Locks the session
    row (as every seat change does), then asks the door, which writes the seat and queues the
    learner's confirmed/offered email; the choice and its reason are kept in the same
    transaction."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            _("Give a reason for choosing this learner over the order of the waitlist."),
            fields={"reason": [_("Required.")]},
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise RuleViolation(
            _("Keep the reason under %d characters.") % REASON_MAX_LENGTH,
            fields={"reason": [_("Too long.")]},
        )
    session_id = (
        Registration.objects.filter(pk=registration_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        raise Registration.DoesNotExist
    with transaction.atomic(durable=True):
        session = lock_session_for_seats(session_id)
        # Read after the lock: every change to this session's registrations waits behind it.
        registration = Registration.objects.select_related("learner", "session").get(
            pk=registration_id
        )
        learner = registration.learner
        if registration.status != RegistrationStatus.WAITLISTED:
            raise InvalidTransition(
                _("%(who)s is not on the waitlist any more (%(status)s).")
                % {"who": _who(learner), "status": registration.get_status_display().lower()}
            )
        may_promote, offer_until = promotion_deadline(session, now)
        if not may_promote:
            raise InvalidTransition(
                _(
                    "It is too close to the start to promote from the waitlist: enrol the "
                    "learner directly instead."
                )
            )
        if free_seats(session.pk) <= 0:
            raise _no_seat()
        from_position = waitlist_position(
            session_id=session.pk, status=registration.status, rank=registration.waitlist_rank
        )
        seat = take_seat(
            SeatRequest(
                session_id=session.pk,
                learner_id=learner.pk,
                learner_email=learner.email,
                messages_json=notices.door_messages(DoorCall.PROMOTE),
                now=now,
                registration_id=registration.pk,
                offer_until=offer_until,
            )
        )
        if seat.outcome == "full":
            raise _no_seat()
        if seat.outcome == "clash" and seat.clashing_block_id is not None:
            other = SessionBlock.objects.get(pk=seat.clashing_block_id).session_id
            raise ScheduleClash(
                _("%(who)s already has a seat in session #%(other)s at the same time.")
                % {"who": _who(learner), "other": other}
            )
        if not seat.written or seat.status is None:
            raise InvalidTransition(
                _("%(who)s is not on the waitlist any more.") % {"who": _who(learner)}
            )
        if seat.status == RegistrationStatus.CONFIRMED:
            withdraw_other_course_places(registration, now=now)
        offer_expires_at = offer_until if seat.status == RegistrationStatus.OFFERED else None
        WaitlistPromotion.objects.create(
            registration=registration,
            promoted_by=promoted_by,
            from_position=from_position or 0,
            status=seat.status,
            offer_expires_at=offer_expires_at,
            reason=reason,
        )
    return ChosenPromotion(
        registration_id=registration.pk,
        status=seat.status,
        offer_expires_at=offer_expires_at,
        from_position=from_position or 0,
    )


def _no_seat() -> NoSeatFree:
    return NoSeatFree(
        _(
            "No seat is free: every seat is held. Someone must leave (or be cancelled) before "
            "a learner can be promoted."
        )
    )
