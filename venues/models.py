import zoneinfo

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tms.models import TimeStampedModel
from tms.validators import validate_time_zone

# The most seats anything holds: a room, a session, a virtual classroom. Inputs stop here.
MAX_CAPACITY = 100_000


class RoomFeature(models.TextChoices):
    PROJECTOR = "projector", _("Projector")
    WHEELCHAIR_ACCESS = "wheelchair_access", _("Wheelchair access")
    WHITEBOARD = "whiteboard", _("Whiteboard")
    VIDEO_CONFERENCING = "video_conferencing", _("Video conferencing")
    COMPUTERS = "computers", _("Computers for learners")
    HEARING_LOOP = "hearing_loop", _("Hearing loop")


class Site(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    address = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    features = ArrayField(
        models.CharField(max_length=32, choices=RoomFeature.choices), default=list, blank=True
    )
    setup_buffer_minutes = models.PositiveIntegerField(default=0)
    teardown_buffer_minutes = models.PositiveIntegerField(default=0)
    bookable = models.BooleanField(default=True)

    class Meta:
        ordering = ["site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_name_unique_per_site"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="room_capacity_positive"),
            models.CheckConstraint(
                condition=Q(setup_buffer_minutes__lte=24 * 60)
                & Q(teardown_buffer_minutes__lte=24 * 60),
                name="room_buffers_at_most_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} / {self.name}"


class RoomClosure(TimeStampedModel):
    """A period when a room cannot be booked (maintenance, refurbishment, event)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="room_closure_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["room", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        # In the venue's zone, named: the stored instant is UTC (a New York closure from
        # midnight read "05:00" with no zone in the manage page's Edit/Delete labels).
        local = self.starts_at.astimezone(zoneinfo.ZoneInfo(self.room.site.time_zone))
        return f"{self.room} closed {local:%Y-%m-%d %H:%M %Z}: {self.reason}"


class VirtualClassroomProvider(models.TextChoices):
    URL = "url", _("Room link on a base URL (Jitsi-style, no API)")
    MANUAL = "manual", _("Link entered by the coordinator")


class HostAccount(TimeStampedModel):
    """A virtual-classroom licence: it hosts one meeting at a time, up to a participant limit."""

    name = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=16, choices=VirtualClassroomProvider.choices)
    base_url = models.URLField(
        blank=True, help_text=_("For link-on-base-URL providers; empty uses the site default.")
    )
    participant_limit = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant_limit__gte=1), name="host_account_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name
