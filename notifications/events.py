"""Event keys: what happened, as the outbox's uniqueness key spells it. Built only here.

An outbox row is unique per (channel, address, event key), so the key decides what "the same
message" means: a second confirmation of registration 42 is the same event and vanishes,
a reminder 24 h before block 7 to user 5 is another event than the one 1 h before. SQL that
queues messages (the seat-taking function) gets its key patterns from `registration_pattern`,
through the `{{ ... }}` placeholders of its file, and fills them with PostgreSQL's `format()`.
"""

from __future__ import annotations

from enum import StrEnum


class RegistrationEvent(StrEnum):
    """Something that happened to one registration; the key is "<event>:<registration id>"."""

    CONFIRMED = "registration.confirmed"
    WAITLISTED = "registration.waitlisted"
    OFFERED = "registration.offered"
    PROMOTED = "registration.promoted"
    OFFER_EXPIRED = "registration.offer_expired"
    CANCELLED = "registration.cancelled"


def registration(event: RegistrationEvent, registration_id: int) -> str:
    return f"{event}:{registration_id}"


def registration_pattern(event: RegistrationEvent) -> str:
    """The same key as a PostgreSQL `format()` pattern of the registration id."""
    return f"{event}:%s"


def invite_update(registration_id: int, version: int) -> str:
    """A calendar update after the session was rescheduled to schedule `version`."""
    return f"invite:{registration_id}:v{version}"


def reminder(block_id: int, hours: int, user_id: int) -> str:
    return f"reminder:{block_id}:{hours}h:{user_id}"


def low_enrolment(session_id: int) -> str:
    return f"low_enrolment:{session_id}"


def course_waitlist_joined(entry_id: int) -> str:
    return f"course_waitlist.joined:{entry_id}"


def resend(original_key: str, copy_number: int) -> str:
    """The n-th copy a coordinator asked for: a new event, so it is not a duplicate."""
    return f"{original_key}#resend{copy_number}"


def account_invited(user_id: int, copy_number: int = 0) -> str:
    """An invitation to set a password for a new account (a later copy is another event)."""
    return f"account.invited:{user_id}" + (f"#{copy_number}" if copy_number else "")


def instructor_invite(assignment_id: int, version: int) -> str:
    """The calendar invite (REQUEST) of one assignment at the session's schedule `version`: a
    reschedule is a new event, a repeat of the same version is the same one."""
    return f"{instructor_invites(assignment_id)}v{version}"


def instructor_invites(assignment_id: int) -> str:
    """The prefix shared by every version of one assignment's invite."""
    return f"instructor_invite:{assignment_id}:"


def instructor_cancel(assignment_id: int) -> str:
    """The cancellation (CANCEL) of one assignment's events: removal or session cancelled.
    An assignment is cancelled once (a new assignment has a new id and new UIDs)."""
    return f"instructor_cancel:{assignment_id}"


def roster_message(message_id: int, user_id: int) -> str:
    """A coordinator's message to the learners of a session, one row per learner."""
    return f"roster_message:{message_id}:{user_id}"


def certification_expiry(learner_certification_id: int, days: int) -> str:
    """The reminder `days` before one certificate expires (one per certificate and threshold;
    a recertification is a new certificate, so its reminders are new events)."""
    return f"certification_expiry:{learner_certification_id}:{days}d"


def attendance_sign_off_due(session_id: int, user_id: int) -> str:
    """The reminder that a session's attendance is still not signed off: once per session
    and recipient."""
    return f"attendance.sign_off_due:{session_id}:{user_id}"


def xapi_statements(session_id: int) -> str:
    """The prefix shared by every xAPI statement (and voiding) about one session."""
    return f"xapi:{session_id}:"


def xapi_statement(session_id: int, learner_id: int, verb: str, version: int) -> str:
    """Version `version` of the `verb` statement about one learner in one session: a late edit
    that changes what the statement says is a new version (the old one is voided)."""
    return f"{xapi_statements(session_id)}{learner_id}:{verb}:v{version}"


def xapi_voiding(session_id: int, learner_id: int, verb: str, version: int) -> str:
    """The statement voiding version `version` of a `verb` statement (once per version)."""
    return f"{xapi_statement(session_id, learner_id, verb, version)}:void"
