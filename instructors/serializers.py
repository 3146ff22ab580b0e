"""Input and output shapes for instructors. Inputs validate shape only; services save."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from rest_framework import serializers

from instructors.models import (
    Instructor,
    Qualification,
    Unavailability,
    UnavailabilityKind,
    Weekday,
    WorkingHours,
)
from tms.api import AwareDateTimeField, EnumField, LocalTimeField, TimeZoneField, related

# --- Output ------------------------------------------------------------------------------------


class InstructorRefOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Instructor
        fields = ["id", "name"]


class QualifiedCourseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()


class QualificationOutput(serializers.ModelSerializer):
    course = QualifiedCourseOutput(read_only=True)

    class Meta:
        model = Qualification
        fields = ["id", "course", "expires_on"]


class WorkingHoursOutput(serializers.ModelSerializer):
    weekday = EnumField(Weekday.choices, enum_name="Weekday")
    starts = LocalTimeField()
    ends = LocalTimeField()

    class Meta:
        model = WorkingHours
        fields = ["id", "weekday", "starts", "ends"]


class UnavailabilityOutput(serializers.ModelSerializer):
    kind = EnumField(UnavailabilityKind.choices, enum_name="UnavailabilityKind")

    class Meta:
        model = Unavailability
        fields = ["id", "starts_at", "ends_at", "kind", "note"]


class InstructorOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    qualifications = QualificationOutput(many=True, read_only=True)
    working_hours = WorkingHoursOutput(many=True, read_only=True)

    class Meta:
        model = Instructor
        fields = [
            "id",
            "user",
            "name",
            "username",
            "email",
            "home_time_zone",
            "weekly_hour_limit",
            "day_rate",
            "currency",
            "active",
            "qualifications",
            "working_hours",
        ]


# --- Input -------------------------------------------------------------------------------------


class InstructorInput(serializers.Serializer):
    user = related(get_user_model().objects.all())
    home_time_zone = TimeZoneField()
    weekly_hour_limit = serializers.IntegerField(min_value=1, max_value=168, required=False)
    day_rate = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, required=False)
    active = serializers.BooleanField(required=False)


class InstructorUpdateInput(InstructorInput):
    """The user of a profile never changes."""

    user = None  # type: ignore[assignment]


class QualificationInput(serializers.Serializer):
    # The course model is scheduling's; reached through the foreign key so that instructors
    # does not import scheduling (which depends on instructors).
    course = related(Qualification._meta.get_field("course").related_model.objects.all())
    expires_on = serializers.DateField(required=False, allow_null=True)


class QualificationUpdateInput(serializers.Serializer):
    expires_on = serializers.DateField(allow_null=True)


class WorkingHoursInput(serializers.Serializer):
    weekday = EnumField(Weekday.choices, enum_name="Weekday")
    starts = LocalTimeField()
    ends = LocalTimeField()


class UnavailabilityInput(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    kind = EnumField(UnavailabilityKind.choices, enum_name="UnavailabilityKind")
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)
