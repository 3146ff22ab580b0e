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
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scheduling.models import Course, Session
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
