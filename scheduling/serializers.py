"""Input and output shapes for courses, sessions, blocks, assignments and the plan check.

Inputs validate shape only (types, ranges, ids that exist); every rule about the schedule is
checked by the services (`scheduling.services.planning.evaluate`) and comes back as 400/409.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from instructors.models import Instructor
from instructors.serializers import InstructorRefOutput
from scheduling.models import (
    AssignmentRole,
    BlockStatus,
    Course,
    DeliveryMode,
    InstructorAssignment,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.selectors import effective_capacity, session_is_taught_by
from scheduling.services.recurrence import MAX_OCCURRENCES
from tms.api import (
    AwareDateTimeField,
    ConflictSerializer,
    EnumField,
    LocalTimeField,
    TimeZoneField,
    id_field,
    related,
)
from tms.permissions import Scope
from venues.models import MAX_CAPACITY, HostAccount, Room, RoomFeature
from venues.serializers import HostAccountRefOutput, RoomRefOutput

MAX_BLOCKS = 200
MAX_INSTRUCTORS = 20
MAX_TEXT = 10_000

# --- Courses ----------------------------------------------------------------------------------


class CourseRefOutput(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "code", "title"]


class CourseOutput(serializers.ModelSerializer):
    delivery_modes = serializers.ListField(
        child=EnumField(DeliveryMode.choices, enum_name="DeliveryMode")
    )
    wanted_room_features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature")
    )
    prerequisites = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "description",
            "default_duration_minutes",
            "default_capacity",
            "delivery_modes",
            "wanted_room_features",
            "prerequisites",
            "active",
            "created_at",
            "updated_at",
        ]


class CourseInput(serializers.Serializer):
    code = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        max_length=32,
        error_messages={"invalid": "Use letters, digits, dots, dashes and underscores."},
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, required=False)
    default_duration_minutes = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, required=False
    )
    default_capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY, required=False)
    delivery_modes = serializers.ListField(
        child=EnumField(DeliveryMode.choices, enum_name="DeliveryMode"), min_length=1, max_length=2
    )
    wanted_room_features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
        max_length=len(RoomFeature.choices),
        required=False,
    )
    prerequisites = related(Course.objects.all(), many=True, required=False)
    active = serializers.BooleanField(required=False)

    def validate_prerequisites(self, value: list[Course]) -> list[Course]:
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 prerequisites.")
        return value


# --- Sessions: output ---------------------------------------------------------------------------


class BlockOutput(serializers.ModelSerializer):
    room = RoomRefOutput(read_only=True, allow_null=True)
    status = EnumField(BlockStatus.choices, enum_name="BlockStatus")

    class Meta:
        model = SessionBlock
        fields = ["id", "starts_at", "ends_at", "status", "cancellation_reason", "room"]


class AssignmentOutput(serializers.ModelSerializer):
    instructor = InstructorRefOutput(read_only=True)
    role = EnumField(AssignmentRole.choices, enum_name="AssignmentRole")

    class Meta:
        model = InstructorAssignment
        fields = ["id", "instructor", "role"]


class EffectiveCapacityOutput(serializers.Serializer):
    value = serializers.IntegerField(help_text="Seats that can actually be offered.")
    binding = EnumField(
        ["session", "room", "host_account"],
        enum_name="CapacityLimit",
        help_text="Which limit gives the value.",
    )
    session_capacity = serializers.IntegerField()
    room_capacity = serializers.IntegerField(allow_null=True)
    host_account_limit = serializers.IntegerField(allow_null=True)


class SessionOutput(serializers.ModelSerializer):
    """A session with its blocks and instructors.

    The join link is shown to those who see every session and to the session's instructors;
    the published catalog does not reveal it.
    """

    course = CourseRefOutput(read_only=True)
    delivery_mode = EnumField(DeliveryMode.choices, enum_name="DeliveryMode")
    status = EnumField(SessionStatus.choices, enum_name="SessionStatus")
    wanted_features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature")
    )
    host_account = HostAccountRefOutput(read_only=True, allow_null=True)
    blocks = BlockOutput(many=True, read_only=True)
    assignments = AssignmentOutput(many=True, read_only=True)
    effective_capacity = serializers.SerializerMethodField()
    join_url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "delivery_mode",
            "status",
            "cancellation_reason",
            "capacity",
            "min_attendees",
            "effective_capacity",
            "registration_opens_at",
            "registration_closes_at",
            "time_zone",
            "notes",
            "wanted_features",
            "starts_at",
            "ends_at",
            "host_account",
            "join_url",
            "blocks",
            "assignments",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(EffectiveCapacityOutput)
    def get_effective_capacity(self, session: Session) -> dict[str, Any]:
        return dict(EffectiveCapacityOutput(effective_capacity(session)).data)

    @extend_schema_field(
        {"type": "string", "description": "The video-call link; empty when not shown or ILT."}
    )
    def get_join_url(self, session: Session) -> str:
        request = self.context["request"]
        if self.context.get("scope") == Scope.ALL or session_is_taught_by(session, request.user):
            return session.join_url
        return ""


class FindingOutput(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. room_conflict, outside_working_hours")
    message = serializers.CharField()
    field = serializers.CharField(help_text='The input it is about, e.g. "blocks[0].room".')
    conflict = ConflictSerializer(allow_null=True, required=False)


class SessionResultOutput(SessionOutput):
    """A session after a change, with the warnings the rules raised (allowed, but tell)."""

    warnings = serializers.SerializerMethodField()

    class Meta(SessionOutput.Meta):
        fields = [*SessionOutput.Meta.fields, "warnings"]

    @extend_schema_field(FindingOutput(many=True))
    def get_warnings(self, session: Session) -> list[Any]:
        return list(FindingOutput(self.context.get("warnings", []), many=True).data)


class ReportOutput(serializers.Serializer):
    errors = FindingOutput(many=True, help_text="Would refuse the session.")
    warnings = FindingOutput(many=True, help_text="Allowed, but worth a look.")


class AssignmentListOutput(serializers.ModelSerializer):
    instructor = InstructorRefOutput(read_only=True)
    role = EnumField(AssignmentRole.choices, enum_name="AssignmentRole")
    session = serializers.SerializerMethodField()

    class Meta:
        model = InstructorAssignment
        fields = ["id", "session", "instructor", "role"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "course": {"type": "string"},
                "status": {"type": "string"},
                "starts_at": {"type": "string", "format": "date-time", "nullable": True},
                "ends_at": {"type": "string", "format": "date-time", "nullable": True},
            },
            "required": ["id", "course", "status", "starts_at", "ends_at"],
        }
    )
    def get_session(self, assignment: InstructorAssignment) -> dict[str, Any]:
        session = assignment.session
        field = serializers.DateTimeField()
        return {
            "id": session.pk,
            "course": session.course.code,
            "status": session.status,
            "starts_at": field.to_representation(session.starts_at) if session.starts_at else None,
            "ends_at": field.to_representation(session.ends_at) if session.ends_at else None,
        }


# --- Sessions: input ----------------------------------------------------------------------------


class BlockInput(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    room = related(Room.objects.all(), required=False, allow_null=True)


class RepeatInput(serializers.Serializer):
    """A weekly series at the same local time in the session's zone (DST-safe)."""

    first_day = serializers.DateField()
    starts = LocalTimeField(help_text="Local start time, e.g. 09:00.")
    ends = LocalTimeField(help_text="Local end time, e.g. 12:00.")
    occurrences = serializers.IntegerField(min_value=1, max_value=MAX_OCCURRENCES)
    every_weeks = serializers.IntegerField(min_value=1, max_value=52, required=False)
    room = related(Room.objects.all(), required=False, allow_null=True)

    def validate_first_day(self, value: Any) -> Any:
        if not 1900 <= value.year <= 2997:
            raise serializers.ValidationError("Dates must lie between the years 1900 and 2997.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends"] <= attrs["starts"]:
            raise serializers.ValidationError({"ends": ["Must be after the start time."]})
        return attrs


class ProposedInstructorInput(serializers.Serializer):
    instructor = related(Instructor.objects.select_related("user"))
    role = EnumField(AssignmentRole.choices, enum_name="AssignmentRole")


class SessionCreateInput(serializers.Serializer):
    """A new session: its blocks (or a weekly `repeat`), room or host account, instructors."""

    course = related(Course.objects.all())
    delivery_mode = EnumField(DeliveryMode.choices, enum_name="DeliveryMode")
    status = EnumField(
        [SessionStatus.DRAFT, SessionStatus.SCHEDULED], enum_name="NewSessionStatus", required=False
    )
    capacity = serializers.IntegerField(
        min_value=1, max_value=MAX_CAPACITY, required=False, help_text="Default: the course's."
    )
    min_attendees = serializers.IntegerField(min_value=0, max_value=MAX_CAPACITY, required=False)
    time_zone = TimeZoneField(
        required=False,
        help_text="IANA zone the session is held in, e.g. Europe/Paris. Default: the zone of "
        "the first room's site (required when no block has a room). A repeat's local times "
        "are read in it.",
    )
    registration_opens_at = AwareDateTimeField(required=False, allow_null=True)
    registration_closes_at = AwareDateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=MAX_TEXT, allow_blank=True, required=False)
    wanted_features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
        max_length=len(RoomFeature.choices),
        required=False,
        allow_null=True,
        help_text="Default: the course's wanted room features.",
    )
    blocks = BlockInput(many=True, required=False, max_length=MAX_BLOCKS)
    repeat = RepeatInput(required=False)
    host_account = related(HostAccount.objects.all(), required=False, allow_null=True)
    join_url = serializers.URLField(max_length=500, allow_blank=True, required=False)
    instructors = ProposedInstructorInput(many=True, required=False, max_length=MAX_INSTRUCTORS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("blocks")) == bool(attrs.get("repeat")):
            raise serializers.ValidationError(
                {"blocks": ["Give either blocks or a weekly repeat (exactly one of them)."]}
            )
        return attrs


class SessionUpdateInput(serializers.Serializer):
    """The settings to change (PATCH: the others keep their values)."""

    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    min_attendees = serializers.IntegerField(min_value=0, max_value=MAX_CAPACITY)
    registration_opens_at = AwareDateTimeField(
        allow_null=True, help_text="null: registration opens when the session is published."
    )
    registration_closes_at = AwareDateTimeField(
        allow_null=True, help_text="null: registration stays open until the session starts."
    )
    notes = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)
    wanted_features = serializers.ListField(
        child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
        max_length=len(RoomFeature.choices),
    )


class TransitionInput(serializers.Serializer):
    status = EnumField(SessionStatus.choices, enum_name="SessionStatus")
    reason = serializers.CharField(
        max_length=MAX_TEXT, allow_blank=True, required=False, help_text="Required to cancel."
    )


class BlockChangeInput(serializers.Serializer):
    block = id_field(help_text="Id of a block of this session.")
    starts_at = AwareDateTimeField(required=False)
    ends_at = AwareDateTimeField(required=False)
    room = related(Room.objects.all(), required=False)


class RescheduleInput(serializers.Serializer):
    changes = BlockChangeInput(many=True, min_length=1, max_length=MAX_BLOCKS)


class BlockAddInput(serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    room = related(Room.objects.all(), required=False, allow_null=True)


class BlockCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class AssignInput(serializers.Serializer):
    instructor = related(Instructor.objects.select_related("user"))
    role = EnumField(AssignmentRole.choices, enum_name="AssignmentRole")
