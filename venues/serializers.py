"""Input and output shapes for venues. Inputs validate shape only; services save."""

from __future__ import annotations

from rest_framework import serializers

from tms.api import AwareDateTimeField, EnumField, TimeZoneField, related
from venues.models import (
    MAX_CAPACITY,
    HostAccount,
    Room,
    RoomClosure,
    RoomFeature,
    Site,
    VirtualClassroomProvider,
)

MAX_BUFFER_MINUTES = 24 * 60


# --- Output ------------------------------------------------------------------------------------


class SiteRefOutput(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "time_zone"]


class SiteOutput(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "address", "time_zone", "created_at", "updated_at"]


class RoomRefOutput(serializers.ModelSerializer):
    site = SiteRefOutput(read_only=True)

    class Meta:
        model = Room
        fields = ["id", "name", "capacity", "site"]


class RoomOutput(serializers.ModelSerializer):
    site = SiteRefOutput(read_only=True)
    features = serializers.ListField(child=EnumField(RoomFeature.choices, enum_name="RoomFeature"))

    class Meta:
        model = Room
        fields = [
            "id",
            "site",
            "name",
            "capacity",
            "features",
            "setup_buffer_minutes",
            "teardown_buffer_minutes",
            "bookable",
            "created_at",
            "updated_at",
        ]


class RoomClosureOutput(serializers.ModelSerializer):
    room = RoomRefOutput(read_only=True)

    class Meta:
        model = RoomClosure
        fields = ["id", "room", "starts_at", "ends_at", "reason", "created_at", "updated_at"]


class HostAccountRefOutput(serializers.ModelSerializer):
    provider = EnumField(VirtualClassroomProvider.choices, enum_name="VirtualClassroomProvider")

    class Meta:
        model = HostAccount
        fields = ["id", "name", "provider", "participant_limit"]


class HostAccountOutput(serializers.ModelSerializer):
    provider = EnumField(VirtualClassroomProvider.choices, enum_name="VirtualClassroomProvider")
    base_url = serializers.CharField(help_text="Empty: the site-wide default base URL.")

    class Meta:
        model = HostAccount
        fields = [
            "id",
            "name",
            "provider",
            "base_url",
            "participant_limit",
            "active",
            "created_at",
            "updated_at",
        ]


# --- Input -------------------------------------------------------------------------------------


class SiteInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    time_zone = TimeZoneField()


class RoomInput(serializers.Serializer):
    site = related(Site.objects.all())
    name = serializers.CharField(max_length=200)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
        max_length=len(RoomFeature.choices),
        required=False,
    )
    setup_buffer_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_BUFFER_MINUTES, required=False
    )
    teardown_buffer_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_BUFFER_MINUTES, required=False
    )
    bookable = serializers.BooleanField(required=False)


class RoomClosureInput(serializers.Serializer):
    room = related(Room.objects.all())
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    reason = serializers.CharField(max_length=300)


class HostAccountInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    provider = EnumField(VirtualClassroomProvider.choices, enum_name="VirtualClassroomProvider")
    base_url = serializers.URLField(max_length=200, allow_blank=True, required=False)
    participant_limit = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    active = serializers.BooleanField(required=False)
