"""REST API: availability for a whole session, every room and instructor with the reasons.

`/api/v1/availability/session/` is new; the one-list searches (`availability/rooms/`,
`availability/instructors/`) keep their behaviour. The rules are the planner's
(`services.availability`): a room or instructor offered here is one the session services
accept.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scheduling.models import Course
from scheduling.selectors import session_list_for
from scheduling.services.availability import session_availability
from scheduling.services.planning import Finding
from tms.api import EnumField, IntervalField, PolicyMixin, TimeZoneField, id_field, related
from tms.api import validated as validated_query
from venues.models import MAX_CAPACITY, RoomFeature

MAX_SEARCH_BLOCKS = 50


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text="e.g. instructor_conflict, instructor_unavailable, "
        "instructor_not_qualified, qualification_expired, "
        "over_weekly_hours, room_conflict, room_closed, room_too_small, "
        "room_lacks_feature"
    )
    message = serializers.CharField()
    session_id = serializers.IntegerField(
        allow_null=True, help_text="The session holding the room or instructor, if booked."
    )
    detail = serializers.DictField(
        allow_null=True, help_text="Facts behind the message: dates, hours, kind of absence."
    )

    def to_representation(self, instance: Finding) -> dict[str, Any]:
        return {
            "code": instance.code,
            "message": instance.message,
            "session_id": (instance.conflict or {}).get("session_id"),
            "detail": instance.detail,
        }


class RoomCandidateOutput(serializers.Serializer):
    id = serializers.IntegerField(source="resource.pk")
    name = serializers.CharField(source="resource.name")
    site = serializers.CharField(source="resource.site.name")
    capacity = serializers.IntegerField(source="resource.capacity")
    features = serializers.ListField(child=serializers.CharField(), source="resource.features")
    available = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    notes = ReasonOutput(many=True)


class InstructorCandidateOutput(serializers.Serializer):
    id = serializers.IntegerField(source="resource.pk")
    name = serializers.CharField(source="resource.display_name")
    available = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    notes = ReasonOutput(many=True)


class SessionAvailabilityOutput(serializers.Serializer):
    rooms = RoomCandidateOutput(many=True)
    instructors = InstructorCandidateOutput(many=True)


class SessionAvailabilityApi(PolicyMixin, APIView):
    """Rooms (bookable, of the site if given) and active instructors for every block of a
    session, available ones first, each with `available` and the `reasons` it is left out:
    booked by another session (`session_id`), unavailable, not qualified or qualified only
    until before the last block's date in `time_zone`, over the weekly hour limit; rooms too
    small, lacking a wanted feature, booked (set-up and tear-down buffers included) or closed.
    `session`: an existing session, whose own bookings do not count."""

    policy_resource = "availability"
    policy_actions = {"GET": "instructors"}

    class Query(serializers.Serializer):
        course = related(Course.objects.all())
        block = serializers.ListField(
            child=IntervalField(), min_length=1, max_length=MAX_SEARCH_BLOCKS
        )
        time_zone = TimeZoneField(help_text="IANA zone of the session, e.g. Europe/Paris.")
        capacity = serializers.IntegerField(
            min_value=1, max_value=MAX_CAPACITY, required=False, default=1
        )
        features = serializers.ListField(
            child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
            max_length=len(RoomFeature.choices),
            required=False,
        )
        site = id_field(required=False)
        session = id_field(required=False)

    @extend_schema(parameters=[Query], responses=SessionAvailabilityOutput)
    def get(self, request: Request) -> Response:
        params = validated_query(self.Query, request.query_params)
        session_id = params.get("session")
        if (
            session_id is not None
            and not session_list_for(request.user).filter(pk=session_id).exists()
        ):
            raise NotFound()
        found = session_availability(
            course=params["course"],
            blocks=params["block"],
            time_zone=params["time_zone"],
            capacity=params["capacity"],
            features=params.get("features", []),
            site_id=params.get("site"),
            session_id=session_id,
        )
        return Response(SessionAvailabilityOutput(found).data)
