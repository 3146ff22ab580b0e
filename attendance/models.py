"""The learner's side of a session: registrations, the waitlist and offers, and outcomes.

Two state machines. A registration's enrolment status (confirmed, waitlisted, offered,
cancelled) decides seats: the statuses in SEAT_HOLDING hold one, and a seat is taken only
through the seat door (attendance/sql/attendance_take_seat.sql). What came of attending is a
separate record (`Completion`; attendance per block joins it), so recording an outcome never
frees a seat or hides a clash. The database backs the rules: one active registration per
learner and session, an offer always has a deadline, a waitlisted row always has its place in
the queue.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scheduling.models import Course, Session, SessionBlock
from tms.models import TimeStampedModel


class RegistrationStatus(models.TextChoices):
    """Enrolment: where the learner stands for a seat. Outcomes are `Completion`s."""

    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    OFFERED = "offered", _("Seat offered")
    CANCELLED = "cancelled", _("Cancelled")


# The one definition of "holds a seat" (the SQL functions take their literals from it).
SEAT_HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
# Still in the session: a seat, an offer, or a place in the line.
ACTIVE = (*SEAT_HOLDING, RegistrationStatus.WAITLISTED)


class RegistrationSource(models.TextChoices):
    SELF = "self", _("Learner")
    COORDINATOR = "coordinator", _("Coordinator")
    BULK = "bulk", _("Bulk enrolment")
    COURSE_WAITLIST = "course_waitlist", _("Any-date waitlist")


class Registration(TimeStampedModel):
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="registrations")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices)
    source = models.CharField(
        max_length=16, choices=RegistrationSource.choices, default=RegistrationSource.SELF
    )
    # Place in the queue: drawn from one sequence in the order learners got the session lock,
    # so it is arrival order and comparable with any-date (course) waitlist entries.
    waitlist_rank = models.BigIntegerField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancellation_reason = models.TextField(blank=True)
    late_cancellation = models.BooleanField(default=False)
    course_entry = models.ForeignKey(
        "CourseWaitlistEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    # Last session.schedule_version the learner's calendar invite was sent for.
    invite_version = models.IntegerField(default=-1)

    class Meta:
        ordering = ["session", "status", "waitlist_rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "learner"],
                condition=~Q(status="cancelled"),
                name="one_active_registration_per_learner_and_session",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="offer_has_a_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlist_rank__isnull=False),
                name="waitlisted_has_a_place",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="cancellation_is_dated",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values),
                name="registration_status_is_an_enrolment_status",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            models.Index(fields=["learner", "status"]),
            models.Index(
                fields=["offer_expires_at"],
                condition=Q(status="offered"),
                name="registration_open_offers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in session {self.session_id}: {self.status}"


class WaitlistMove(TimeStampedModel):
    """A coordinator moved a learner up or down the waitlist; the reason is kept."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="moves")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    from_position = models.PositiveIntegerField()
    to_position = models.PositiveIntegerField()
    reason = models.TextField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="waitlist_move_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.from_position} → {self.to_position}"


class CourseWaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for any date")
    OFFERED = "offered", _("Seat offered")
    FULFILLED = "fulfilled", _("Got a seat")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CourseWaitlistEntry(TimeStampedModel):
    """An "any date" waitlist: the first seat freeing in any upcoming session of the course."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="waitlist_entries")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_waitlist_entries"
    )
    status = models.CharField(
        max_length=16, choices=CourseWaitlistStatus.choices, default=CourseWaitlistStatus.WAITING
    )
    waitlist_rank = models.BigIntegerField()
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["course", "waitlist_rank"]
        verbose_name_plural = "course waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["course", "learner"],
                condition=Q(status__in=["waiting", "offered"]),
                name="one_open_course_waitlist_entry_per_learner",
            ),
        ]
        indexes = [models.Index(fields=["course", "status", "waitlist_rank"])]

    def __str__(self) -> str:
        return f"{self.learner} waiting for {self.course}"


class CompletionStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Not completed")


class Completion(TimeStampedModel):
    """What came of a registration once the session is over: the outcome state machine,
    apart from enrolment. The seat stays held whatever is recorded here."""

    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="completion"
    )
    status = models.CharField(max_length=16, choices=CompletionStatus.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.status}"


class WaitlistPromotion(TimeStampedModel):
    """A coordinator gave a free seat to a learner they chose from the waitlist (not always
    the head of the line); the reason is kept, as for moves. The seat itself was taken through
    the seat door; this row records who chose, why, and what the learner got."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="chosen_promotions"
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    from_position = models.PositiveIntegerField()
    # What the door gave: confirmed, or offered until `offer_expires_at` (the session's policy).
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="waitlist_promotion_has_reason"),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "offered"]),
                name="waitlist_promotion_gives_a_seat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: chosen from position {self.from_position}"


class RosterAudience(models.TextChoices):
    """Who a roster message goes to."""

    CONFIRMED = "confirmed", _("Learners with a confirmed seat")
    EVERYONE = "everyone", _("Everyone registered: confirmed, offered and waitlisted")


class RosterMessage(TimeStampedModel):
    """A coordinator's message to the learners of a session ("message everyone registered"):
    kept with who sent it, when and to whom; each recipient's email is an outbox row."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="roster_messages")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    audience = models.CharField(max_length=16, choices=RosterAudience.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="roster_message_has_subject"),
            models.CheckConstraint(condition=~Q(body=""), name="roster_message_has_body"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.subject}"


class AttendanceStatus(models.TextChoices):
    """What a learner did in one block. Present, late and left early count as attended."""

    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


# The one definition of "was there" (completion rules and reports read it).
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


class AttendanceSource(models.TextChoices):
    ROSTER = "roster", _("Marked on the roster")
    CHECK_IN = "check_in", _("Self check-in")
    REPORT = "report", _("Participant report")


class AttendanceRecord(TimeStampedModel):
    """Attendance of one registration in one block: the outcome per block, apart from the
    enrolment status (marking never frees or takes a seat). Written only through
    attendance/services/marking.py, which checks that the block is the registration's
    session's and marks changes after sign-off as late edits with their reason."""

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="attendance"
    )
    block = models.ForeignKey(SessionBlock, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=16, choices=AttendanceStatus.choices)
    # Unknown (blank) unless a report or the instructor gives it.
    minutes_attended = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=AttendanceSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    # Changed after the session's attendance was signed off; the reason is kept.
    late_edit = models.BooleanField(default=False)
    late_edit_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["block", "registration"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "block"], name="one_attendance_record_per_block"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values),
                name="attendance_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(late_edit=False) | ~Q(late_edit_reason=""),
                name="late_attendance_edit_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["block", "status"])]

    def __str__(self) -> str:
        return f"{self.registration_id} in block {self.block_id}: {self.status}"


class AttendanceSignOff(TimeStampedModel):
    """The lead instructor submitted the session's attendance; outcomes (`Completion`) were
    derived from it then. Later changes to attendance are late edits."""

    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="sign_off")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_off_at"]

    def __str__(self) -> str:
        return f"session {self.session_id} signed off at {self.signed_off_at:%Y-%m-%d %H:%M}"


class ParticipantReport(TimeStampedModel):
    """A meeting's participant report (Zoom, Teams...) imported for one block. The same file
    (by SHA-256) imported again for the same block changes nothing."""

    block = models.ForeignKey(
        SessionBlock, on_delete=models.PROTECT, related_name="participant_reports"
    )
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=32)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    row_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["block", "file_sha256"], name="participant_report_imported_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} for block {self.block_id}"


class ParticipantMatch(models.TextChoices):
    EMAIL = "email", _("Matched by email")
    NAME = "name", _("Matched by name (check it)")
    UNMATCHED = "unmatched", _("Not matched")
    RESOLVED = "resolved", _("Matched by the instructor")
    IGNORED = "ignored", _("Not a learner (ignored by the instructor)")


class ParticipantReportEntry(models.Model):
    """One person of an imported report, their rows merged: never dropped, so an unmatched
    participant stays listed until the instructor resolves or ignores them."""

    report = models.ForeignKey(ParticipantReport, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    # Report lines this person came from (1-based, header = 1), for the instructor to check.
    lines = ArrayField(models.PositiveIntegerField(), default=list)
    minutes = models.PositiveIntegerField()
    # What the import credits this person with: their merged intervals as the report gives
    # them ([[start, end], ...] in ISO 8601 UTC, before clipping to the block; empty for a
    # report of durations only), the seconds credited inside the block (never more than the
    # durations the report states), and their role in the meeting (Teams: Organizer...).
    intervals = models.JSONField(default=list, blank=True)
    seconds = models.PositiveIntegerField(default=0)
    role = models.CharField(max_length=64, blank=True)
    match = models.CharField(max_length=16, choices=ParticipantMatch.choices)
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participant_entries",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["report", "match", "name", "pk"]
        verbose_name_plural = "participant report entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(match__in=["unmatched", "ignored"]) | Q(registration__isnull=False),
                name="matched_participant_has_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email}: {self.minutes} min ({self.match})"


class CheckInTry(models.Model):
    """One counted self check-in try of a learner (attendance/services/check_in.py): the rate
    limit counts these rows in PostgreSQL, so it holds across every web process and server
    (a cache would be per process without Redis). A counter, not a record: rows older than the
    limit's period are pruned as tries are written, and the table is not audited."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    tried_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["learner", "tried_at"], name="checkin_try_learner_time"),
            models.Index(fields=["tried_at"], name="checkin_try_time"),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} at {self.tried_at:%Y-%m-%d %H:%M:%S}"
