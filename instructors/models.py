from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tms.models import TimeStampedModel
from tms.validators import validate_time_zone


class Instructor(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="instructor_profile"
    )
    home_time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    weekly_hour_limit = models.PositiveIntegerField(
        default=40, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    day_rate = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="EUR")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def display_name(self) -> str:
        return str(self)


class Qualification(TimeStampedModel):
    """The instructor may teach the course; an expired qualification no longer counts."""

    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="qualifications"
    )
    course = models.ForeignKey(
        "scheduling.Course", on_delete=models.CASCADE, related_name="qualifications"
    )
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "course"], name="qualification_unique_per_course"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instructor} → {self.course}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(TimeStampedModel):
    """A weekly window, in the instructor's home time zone, when they normally teach."""

    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends__gt=F("starts")), name="working_hours_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class UnavailabilityKind(models.TextChoices):
    LEAVE = "leave", _("Leave")
    OTHER_DUTY = "other_duty", _("Other duty")
    SICK = "sick", _("Sick")


class Unavailability(TimeStampedModel):
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="unavailabilities"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=UnavailabilityKind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "unavailabilities"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="unavailability_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["instructor", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.instructor}: {self.get_kind_display()} from {self.starts_at:%Y-%m-%d}"
