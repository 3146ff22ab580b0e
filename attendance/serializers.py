"""Input and output shapes for registrations, rosters, waitlists and sessions with seats.

Inputs validate shape only (types, lengths, ids and emails that exist); every rule about
registering (window, duplicates, clashes, prerequisites, capacity) is checked by
`attendance.services.registration` and comes back as 400/409 in the one error shape.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from attendance.models import (
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from attendance.selectors import Seats, join_link_visible
from scheduling.models import Course, DeliveryMode, Session, SessionStatus
from scheduling.serializers import CourseRefOutput, SessionOutput
from tms.api import MAX_ID, EnumField, related

REASON_MAX = 500
MAX_POSITION = 100_000
BULK_MAX_EMAILS = 1000
EMAIL_MAX = 254
# Pasted lists: one address per line, or separated by commas, semicolons or spaces.
SEPARATORS = re.compile(r"[\s,;]+")
PREVIEW_HOURS = 48

# --- Output ---------------------------------------------------------------------------------------


class SeatsOutput(serializers.Serializer):
    limit = serializers.IntegerField(help_text="Seats that can be offered (effective capacity).")
    taken = serializers.IntegerField(help_text="Confirmed and offered seats.")
    left = serializers.IntegerField(help_text="Seats still free.")
    waitlisted = serializers.IntegerField(help_text="Learners on the session's waitlist.")


class LearnerRefOutput(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name", "email"]

    def get_name(self, user: AbstractBaseUser) -> str:
        return str(user.get_full_name() or user.get_username())  # type: ignore[attr-defined]


class SessionRefOutput(serializers.ModelSerializer):
    course = CourseRefOutput(read_only=True)
    status = EnumField(SessionStatus.choices, enum_name="SessionStatus")
    delivery_mode = EnumField(DeliveryMode.choices, enum_name="DeliveryMode")

    class Meta:
        model = Session
        fields = ["id", "course", "status", "delivery_mode", "starts_at", "ends_at", "time_zone"]


class RegistrationOutput(serializers.ModelSerializer):
    session = SessionRefOutput(read_only=True)
    learner = LearnerRefOutput(read_only=True)
    status = EnumField(RegistrationStatus.choices, enum_name="RegistrationStatus")
    source = EnumField(RegistrationSource.choices, enum_name="RegistrationSource")
    position = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="1-based place on the waitlist, if waitlisted."
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "session",
            "learner",
            "status",
            "source",
            "position",
            "offer_expires_at",
            "confirmed_at",
            "cancelled_at",
            "cancellation_reason",
            "late_cancellation",
            "created_at",
        ]


class RegisterResultOutput(serializers.Serializer):
    """A seat or a place on the waitlist: both are a success."""

    registration = RegistrationOutput()
    status = EnumField(
        [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED],
        enum_name="RegisterOutcome",
    )
    position = serializers.IntegerField(allow_null=True, help_text="Waitlist position, if full.")
    message = serializers.CharField(help_text="Ready to show, e.g. 'Confirmed'.")


class BulkWaitlistedOutput(serializers.Serializer):
    email = serializers.CharField()
    position = serializers.IntegerField()


class BulkRefusedOutput(serializers.Serializer):
    email = serializers.CharField()
    reason = serializers.CharField()


class BulkEnrolOutput(serializers.Serializer):
    """Every distinct address lands in exactly one list."""

    confirmed = serializers.ListField(child=serializers.CharField())
    waitlisted = BulkWaitlistedOutput(many=True)
    unknown = serializers.ListField(child=serializers.CharField(), help_text="No such account.")
    refused = BulkRefusedOutput(many=True, help_text="A rule refused them (already registered...).")


class RosterEntryOutput(serializers.Serializer):
    registration = serializers.IntegerField(source="pk")
    learner = LearnerRefOutput()
    status = EnumField(RegistrationStatus.choices, enum_name="RegistrationStatus")
    source = EnumField(RegistrationSource.choices, enum_name="RegistrationSource")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)


class WaitlistEntryOutput(serializers.Serializer):
    registration = serializers.IntegerField(source="pk")
    learner = LearnerRefOutput()
    position = serializers.IntegerField()
    joined_at = serializers.DateTimeField(source="created_at")


class RosterOutput(serializers.Serializer):
    seats = SeatsOutput()
    confirmed = RosterEntryOutput(many=True, help_text="Seat holders and attendees.")
    waitlist = WaitlistEntryOutput(many=True, help_text="The queue, first in line first.")


class CourseWaitlistEntryOutput(serializers.ModelSerializer):
    course = CourseRefOutput(read_only=True)
    learner = LearnerRefOutput(read_only=True)
    status = EnumField(CourseWaitlistStatus.choices, enum_name="CourseWaitlistStatus")

    class Meta:
        model = CourseWaitlistEntry
        fields = ["id", "course", "learner", "status", "created_at"]


class SessionWithSeatsOutput(SessionOutput):
    """A session with its seats. The join link: everyone who sees all sessions and the
    session's instructors; a learner only once `join_link_visible` says so (confirmed, and
    from a configurable time before the start).

    Context: ``seats`` maps session id → `Seats` (one query for a page).
    """

    seats = serializers.SerializerMethodField()

    class Meta(SessionOutput.Meta):
        fields = [*SessionOutput.Meta.fields, "seats"]

    @extend_schema_field(SeatsOutput)
    def get_seats(self, session: Session) -> dict[str, Any]:
        seats: Seats = self.context["seats"][session.pk]
        return dict(SeatsOutput(seats).data)

    @extend_schema_field(
        {"type": "string", "description": "The video-call link; empty when not shown or ILT."}
    )
    def get_join_url(self, session: Session) -> str:
        shown = super().get_join_url(session)
        if shown or not session.join_url or session.starts_at is None:
            return shown
        now = self.context.get("now") or timezone.now()
        # Cheap pre-check: before the window opens no registration needs to be read, so a
        # page of upcoming sessions costs no query per row.
        opens = session.starts_at - dt.timedelta(minutes=settings.JOIN_LINK_VISIBLE_MINUTES)
        if now < opens:
            return ""
        visible = join_link_visible(session, self.context["request"].user, now=now)
        return session.join_url if visible else ""


class MessagePreviewQuery(serializers.Serializer):
    hours = serializers.IntegerField(
        min_value=1, max_value=7 * 24, required=False, help_text="How far ahead (default 48)."
    )


class MessagePreviewOutput(serializers.Serializer):
    when = serializers.DateTimeField(help_text="When the reminder sweep sends it.")
    rule = serializers.CharField(help_text='e.g. "reminder 24 h before".')
    session = SessionRefOutput()
    block_starts_at = serializers.DateTimeField()
    recipients = serializers.IntegerField(help_text="Confirmed learners and instructors.")


# --- Input ----------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "format": "email", "maxLength": EMAIL_MAX},
        ],
        "description": "The learner's user id, or the email of their account.",
    }
)
class LearnerField(serializers.Field):
    """A user by id or by email (the oldest account with that address, as in bulk enrolment)."""

    default_error_messages = {
        "invalid": _("Give the learner's user id or the email of their account."),
        # DRF fills error messages with str.format.
        "unknown": _("No account matches {value}."),
    }

    def to_internal_value(self, data: Any) -> AbstractBaseUser:
        users = get_user_model().objects.order_by("pk")
        if isinstance(data, int) and not isinstance(data, bool):
            if not 1 <= data <= MAX_ID:
                self.fail("invalid")
            user = users.filter(pk=data).first()
        elif isinstance(data, str) and "@" in data and len(data) <= EMAIL_MAX:
            if "\x00" in data:
                self.fail("invalid")
            data = data.strip()
            user = users.filter(email__iexact=data).first()
        else:
            self.fail("invalid")
        if user is None:
            self.fail("unknown", value=data)
        return user

    def to_representation(self, value: AbstractBaseUser) -> int:
        return int(value.pk)


class EnrolInput(serializers.Serializer):
    learner = LearnerField()


class BulkEnrolInput(serializers.Serializer):
    """Addresses as a list, as pasted text, or both. Anything that is not an account's email
    is reported back as unknown, not refused here."""

    emails = serializers.ListField(
        child=serializers.CharField(max_length=EMAIL_MAX),
        max_length=BULK_MAX_EMAILS,
        required=False,
    )
    text = serializers.CharField(
        max_length=BULK_MAX_EMAILS * (EMAIL_MAX + 2),
        allow_blank=True,
        required=False,
        help_text="Pasted addresses: one per line, or separated by commas, semicolons, spaces.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        pasted = [e for e in SEPARATORS.split(attrs.get("text", "")) if e]
        found = [*attrs.get("emails", []), *pasted]
        if not found:
            raise serializers.ValidationError(
                {"emails": [_("Give at least one email address (emails or text).")]}
            )
        if len(found) > BULK_MAX_EMAILS:
            raise serializers.ValidationError(
                {
                    "emails": [
                        _("At most %(max)d addresses at once; this list has %(n)d.")
                        % {"max": BULK_MAX_EMAILS, "n": len(found)}
                    ]
                }
            )
        attrs["addresses"] = found
        return attrs


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX,
        allow_blank=True,
        required=False,
        help_text="Optional for your own place; required to cancel someone else's.",
    )


class WaitlistMoveInput(serializers.Serializer):
    to_position = serializers.IntegerField(min_value=1, max_value=MAX_POSITION)
    reason = serializers.CharField(max_length=REASON_MAX, help_text="Why (kept with the move).")


class CourseWaitlistJoinInput(serializers.Serializer):
    course = related(Course.objects.filter(active=True), help_text="An active course.")
