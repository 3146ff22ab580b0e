"""Courses, sessions, their dated blocks and the bookings that make double-booking impossible.

Every bookable resource (room, virtual-classroom host account, instructor) is booked through
booking rows that hold a `tstzrange` (room buffers folded in) under a PostgreSQL exclusion
constraint per resource. Services check first to name the conflicting session; the constraint
is the guarantee.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from tms.models import TimeStampedModel
from tms.validators import validate_time_zone
from venues.models import HostAccount, Room, RoomFeature, Site


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class DeliveryMode(models.TextChoices):
    ILT = "ilt", _("In a room (ILT)")
    VILT = "vilt", _("On a video call (VILT)")


class CompletionRule(models.TextChoices):
    """How a course decides, at sign-off, whether a registration is completed."""

    EVERY_BLOCK = "every_block", _("Attended every block (present, late or left early)")
    MINUTES = "minutes", _("Attended at least a share of all block minutes")


class Course(TimeStampedModel):
    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    default_duration_minutes = models.PositiveIntegerField(
        default=180, validators=[MinValueValidator(1)]
    )
    default_capacity = models.PositiveIntegerField(default=12, validators=[MinValueValidator(1)])
    delivery_modes = ArrayField(
        models.CharField(max_length=8, choices=DeliveryMode.choices),
        default=list,
        help_text=_("Modes this course may run in."),
    )
    wanted_room_features = ArrayField(
        models.CharField(max_length=32, choices=RoomFeature.choices), default=list, blank=True
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by"
    )
    active = models.BooleanField(default=True)
    # How attendance becomes an outcome at sign-off (attendance/services/completion_rules.py).
    completion_rule = models.CharField(
        max_length=16, choices=CompletionRule.choices, default=CompletionRule.EVERY_BLOCK
    )
    completion_percent = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("For the minutes rule: share of all block minutes a learner must attend."),
    )
    # A participant report (VILT) marks a learner present in a block from this share of it.
    attendance_threshold_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Share of a block a learner must attend to count as present in it."),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_capacity__gte=1), name="course_default_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(completion_percent__gte=1, completion_percent__lte=100),
                name="course_completion_percent_is_a_share",
            ),
            models.CheckConstraint(
                condition=Q(
                    attendance_threshold_percent__gte=1, attendance_threshold_percent__lte=100
                ),
                name="course_attendance_threshold_is_a_share",
            ),
            models.CheckConstraint(
                condition=~Q(delivery_modes=[]), name="course_has_a_delivery_mode"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# Legal status changes; any status except cancelled may become cancelled (with a reason).
SESSION_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.DRAFT: {SessionStatus.SCHEDULED, SessionStatus.CANCELLED},
    SessionStatus.SCHEDULED: {SessionStatus.COMPLETED, SessionStatus.CANCELLED},
    SessionStatus.COMPLETED: {SessionStatus.CANCELLED},
    SessionStatus.CANCELLED: set(),
}
# Statuses in which a session's schedule and settings may still change (pages and API alike:
# the services refuse the others).
EDITABLE_STATUSES = frozenset({SessionStatus.DRAFT, SessionStatus.SCHEDULED})


class WaitlistPolicy(models.TextChoices):
    AUTO_CONFIRM = "auto_confirm", _("Confirm the next learner automatically")
    OFFER = "offer", _("Offer the seat, held until a deadline")


class Session(TimeStampedModel):
    """One scheduled offering of a course, with one or more dated blocks."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    delivery_mode = models.CharField(max_length=8, choices=DeliveryMode.choices)
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    cancellation_reason = models.TextField(blank=True)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    min_attendees = models.PositiveIntegerField(default=0)
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    notes = models.TextField(blank=True)
    wanted_features = ArrayField(
        models.CharField(max_length=32, choices=RoomFeature.choices), default=list, blank=True
    )
    host_account = models.ForeignKey(
        HostAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    join_url = models.URLField(max_length=500, blank=True)
    # Registration policy (used by attendance/): what happens when a seat frees up.
    waitlist_policy = models.CharField(
        max_length=16, choices=WaitlistPolicy.choices, default=WaitlistPolicy.AUTO_CONFIRM
    )
    offer_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_("How long an offered seat is held."),
    )
    late_cancellation_hours = models.PositiveIntegerField(
        default=48, help_text=_("Cancelling later than this before the start is marked late.")
    )
    promotion_cutoff_hours = models.PositiveIntegerField(
        default=2, help_text=_("No waitlist promotion closer than this to the start.")
    )
    # Bumped whenever blocks move, change room or are cancelled/restored: calendar invites
    # carry it as SEQUENCE, so a learner's calendar applies the newest version.
    schedule_version = models.PositiveIntegerField(default=0)
    # First active block start / last active block end, kept by the services for filtering.
    starts_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_attendees__lte=F("capacity")),
                name="session_minimum_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="session_registration_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=~Q(status=SessionStatus.CANCELLED) | ~Q(cancellation_reason=""),
                name="session_cancellation_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(delivery_mode=DeliveryMode.ILT, host_account__isnull=True)
                | Q(delivery_mode=DeliveryMode.VILT),
                name="session_ilt_has_no_host_account",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        when = f" {self.starts_at:%Y-%m-%d}" if self.starts_at else ""
        return f"{self.course.code}{when} (#{self.pk})"


class BlockStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")


class SessionBlock(TimeStampedModel):
    """A dated part of a session (one day of a 3-day course, one of two half-days...)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="blocks")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=BlockStatus.choices, default=BlockStatus.ACTIVE
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="blocks"
    )
    cancellation_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="block_ends_after_start"
            ),
            ExclusionConstraint(
                name="blocks_of_a_session_never_overlap",
                expressions=[
                    ("session", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status=BlockStatus.ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status == BlockStatus.ACTIVE


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead instructor")
    CO_FACILITATOR = "co_facilitator", _("Co-facilitator")


class InstructorAssignment(TimeStampedModel):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=16, choices=AssignmentRole.choices)

    class Meta:
        ordering = ["role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "instructor"], name="instructor_assigned_once_per_session"
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(role=AssignmentRole.LEAD),
                name="one_lead_instructor_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor} ({self.get_role_display()}) on {self.session_id}"


class BookingConstraint:
    """Names of the exclusion constraints, used to map a violation to the resource."""

    ROOM = "room_never_double_booked"
    HOST_ACCOUNT = "host_account_never_double_booked"
    INSTRUCTOR = "instructor_never_double_booked"


class RoomBooking(models.Model):
    """The room is held for the block, setup and teardown buffers included."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="room_bookings")
    block = models.OneToOneField(
        SessionBlock, on_delete=models.CASCADE, related_name="room_booking"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    during = DateTimeRangeField()

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="room_never_double_booked",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    ("during", RangeOperators.OVERLAPS),
                    # Blocks of one session never overlap (own constraint), but their buffers
                    # may: a morning and an afternoon block in the same room are one booking.
                    ("session", RangeOperators.NOT_EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room_id} held {self.during} by session {self.session_id}"


class HostAccountBooking(models.Model):
    """A virtual-classroom licence hosts one meeting at a time."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="host_account_bookings"
    )
    block = models.OneToOneField(
        SessionBlock, on_delete=models.CASCADE, related_name="host_account_booking"
    )
    host_account = models.ForeignKey(HostAccount, on_delete=models.PROTECT, related_name="bookings")
    during = DateTimeRangeField()

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="host_account_never_double_booked",
                expressions=[
                    ("host_account", RangeOperators.EQUAL),
                    ("during", RangeOperators.OVERLAPS),
                    ("session", RangeOperators.NOT_EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host_account_id} held {self.during} by session {self.session_id}"


class InstructorBooking(models.Model):
    """An assigned instructor is held for each active block of the session."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="instructor_bookings"
    )
    assignment = models.ForeignKey(
        InstructorAssignment, on_delete=models.CASCADE, related_name="bookings"
    )
    block = models.ForeignKey(
        SessionBlock, on_delete=models.CASCADE, related_name="instructor_bookings"
    )
    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="bookings")
    during = DateTimeRangeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "block"], name="instructor_booked_once_per_block"
            ),
            ExclusionConstraint(
                name="instructor_never_double_booked",
                expressions=[
                    ("instructor", RangeOperators.EQUAL),
                    ("during", RangeOperators.OVERLAPS),
                    ("session", RangeOperators.NOT_EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instructor_id} held {self.during} by session {self.session_id}"


class FeedKind(models.TextChoices):
    """Whose calendar a subscription feed shows."""

    INSTRUCTOR = "instructor", _("Instructor")
    LEARNER = "learner", _("Learner")
    ROOM = "room", _("Room")
    SITE = "site", _("Site")


class FeedToken(TimeStampedModel):
    """The secret in a calendar subscription URL (/feeds/<token>.ics), of one owner.

    Only the SHA-256 of the token is stored: the URL is shown once, when the token is made, and
    a leaked table does not open anyone's calendar. Exactly one owner column is set, the one
    the kind names. Revoked tokens are kept (for the fetch log) and answer 404.
    """

    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    # The start of the token, to tell tokens apart on pages and in the log (not enough to use).
    hint = models.CharField(max_length=8)
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feed_tokens",
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="instructor",
                        instructor__isnull=False,
                        learner__isnull=True,
                        room__isnull=True,
                        site__isnull=True,
                    )
                    | Q(
                        kind="learner",
                        instructor__isnull=True,
                        learner__isnull=False,
                        room__isnull=True,
                        site__isnull=True,
                    )
                    | Q(
                        kind="room",
                        instructor__isnull=True,
                        learner__isnull=True,
                        room__isnull=False,
                        site__isnull=True,
                    )
                    | Q(
                        kind="site",
                        instructor__isnull=True,
                        learner__isnull=True,
                        room__isnull=True,
                        site__isnull=False,
                    )
                ),
                name="feed_token_has_the_owner_its_kind_names",
            ),
        ]

    def __str__(self) -> str:
        state = " (revoked)" if self.revoked_at else ""
        return f"{self.get_kind_display()} feed {self.hint}…{state}"

    @property
    def owner_id(self) -> int:
        owner = {
            FeedKind.INSTRUCTOR: self.instructor_id,
            FeedKind.LEARNER: self.learner_id,
            FeedKind.ROOM: self.room_id,
            FeedKind.SITE: self.site_id,
        }[FeedKind(self.kind)]
        if owner is None:  # the check constraint
            raise ValueError("this token has no such owner")
        return int(owner)


class FeedFetch(models.Model):
    """One fetch of a feed (answered 200 or 304), kept for the audit log: which token (so whose
    feed), when, from which address (tms.client_address) and with which client."""

    token = models.ForeignKey(FeedToken, on_delete=models.CASCADE, related_name="fetches")
    fetched_at = models.DateTimeField()
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        indexes = [models.Index(fields=["token", "fetched_at"])]

    def __str__(self) -> str:
        return f"{self.token_id} fetched {self.fetched_at:%Y-%m-%d %H:%M:%S} ({self.status_code})"


# The kind of the change marks every schedule feed reads: a course, room or site was edited.
FEED_CATALOGUE = "catalogue"


class FeedChange(models.Model):
    """A change mark: something a schedule feed (instructor, room, site) shows changed, written
    by the database (scheduling/sql/scheduling_feed_changed.sql: triggers on blocks, sessions,
    assignments, courses, rooms and sites, so services, the admin, QuerySet.update() and raw SQL
    all leave one). A feed's validators are the ids of its owner's marks and of the catalogue's
    (`kind` "catalogue", owner 0: any course, room or site), read in one index scan whatever the
    size of the feed.

    Insert-only, never a row updated: concurrent writers never wait for each other (no hot
    row). A mark prunes its owner's older marks that no one else is pruning (SKIP LOCKED), so an
    owner keeps about one; a feed's ETag hashes all the ids it finds, so a change committed late
    with a smaller id still changes it."""

    kind = models.CharField(max_length=16)
    owner_id = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["kind", "owner_id", "id"],
                include=["changed_at"],
                name="feed_change_by_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.owner_id} changed {self.changed_at:%Y-%m-%d %H:%M:%S}"
