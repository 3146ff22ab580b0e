"""REST API for courses, sessions (blocks, instructors, status), the plan check and the
availability searches.

Thin views: the policy table (tms/permissions.py) decides who may call what; sessions are
fetched through `session_list_for` (not visible → 404); one service call does the work and its
warnings come back with the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from instructors.models import Instructor
from instructors.serializers import InstructorRefOutput
from scheduling import services
from scheduling.filters import AssignmentFilter, CourseFilter, SessionFilter
from scheduling.models import Course, InstructorAssignment, Session, SessionStatus
from scheduling.selectors import (
    course_list_for,
    instructors_available,
    rooms_available,
    session_is_taught_by,
    session_list_for,
)
from scheduling.serializers import (
    MAX_CAPACITY,
    AssignInput,
    AssignmentListOutput,
    BlockAddInput,
    BlockCancelInput,
    CourseInput,
    CourseOutput,
    ReportOutput,
    RescheduleInput,
    SessionCreateInput,
    SessionOutput,
    SessionResultOutput,
    SessionUpdateInput,
    TransitionInput,
)
from scheduling.services import Finding, ProposedBlock, ProposedInstructor, SessionInput
from scheduling.services.courses import course_create, course_delete, course_update
from scheduling.services.local_times import first_room_site
from tms.api import (
    EnumField,
    IntervalField,
    PolicyMixin,
    TimeZoneField,
    id_field,
    related,
    validated,
)
from tms.exceptions import RuleViolation
from tms.permissions import Scope
from venues.models import Room, RoomFeature
from venues.serializers import RoomOutput

COLLECTION = {"GET": "list", "POST": "create"}

# --- Courses -----------------------------------------------------------------------------------


class CoursePolicyMixin(PolicyMixin):
    def policy_published(self, course: Course) -> bool:
        return course.active

    def visible_courses(self) -> QuerySet[Course]:
        return course_list_for(self.request.user)


class CourseCollectionApi(CoursePolicyMixin, generics.ListAPIView):
    policy_resource = "course"
    policy_actions = COLLECTION
    serializer_class = CourseOutput
    filterset_class = CourseFilter

    def get_queryset(self) -> QuerySet[Course]:
        return self.visible_courses()

    @extend_schema(request=CourseInput, responses={201: CourseOutput})
    def post(self, request: Request) -> Response:
        course = course_create(**self.validated(CourseInput))
        course = self.get_visible(self.visible_courses(), pk=course.pk)
        return Response(CourseOutput(course).data, status=status.HTTP_201_CREATED)


class CourseDetailApi(CoursePolicyMixin, APIView):
    policy_resource = "course"
    policy_actions = {"GET": "retrieve", "PATCH": "update", "DELETE": "delete"}

    @extend_schema(responses={200: CourseOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(CourseOutput(self.get_visible(self.visible_courses(), pk=pk)).data)

    @extend_schema(request=CourseInput, responses={200: CourseOutput})
    def patch(self, request: Request, pk: int) -> Response:
        course = self.get_visible(self.visible_courses(), pk=pk)
        course_update(course_id=course.pk, changes=self.validated(CourseInput, partial=True))
        return Response(CourseOutput(self.get_visible(self.visible_courses(), pk=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        course_delete(course_id=self.get_visible(self.visible_courses(), pk=pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Sessions ----------------------------------------------------------------------------------


class SessionPolicyMixin(PolicyMixin):
    """Sessions are fetched through `session_list_for`: one not visible to the user is a 404."""

    def policy_owns(self, session: Session) -> bool:
        return session_is_taught_by(session, self.request.user)

    def policy_published(self, session: Session) -> bool:
        return session.status == SessionStatus.SCHEDULED and session.course.active

    def session(self, pk: int) -> Session:
        return self.get_visible(session_list_for(self.request.user), pk=pk)

    def output_context(self, warnings: Sequence[Finding] = ()) -> dict[str, Any]:
        scope = getattr(self, "policy_scope", None)  # unset while the schema is generated
        return {"request": self.request, "scope": scope, "warnings": list(warnings)}

    def result(
        self, session_id: int, warnings: Sequence[Finding] = (), code: int = status.HTTP_200_OK
    ) -> Response:
        """The changed session, read back as the caller sees it, with the service's warnings."""
        session = self.session(session_id)
        data = SessionResultOutput(session, context=self.output_context(warnings)).data
        return Response(data, status=code)


def _session_zone(data: dict[str, Any]) -> str:
    """The zone given, else the first room's site's (`local_times.first_room_site`)."""
    if data.get("time_zone"):
        return str(data["time_zone"])
    repeat = data.get("repeat")
    rooms = [repeat.get("room")] if repeat else [b.get("room") for b in data["blocks"]]
    site = first_room_site(rooms)
    if site is None:
        message = _("Give the session's time zone: no block has a room to take it from.")
        raise RuleViolation(message, fields={"time_zone": [message]})
    return site.time_zone


def session_input_from(data: dict[str, Any]) -> SessionInput:
    """The service's input from validated `SessionCreateInput` data (a repeat becomes blocks)."""
    zone = _session_zone(data)
    repeat = data.get("repeat")
    if repeat:
        try:
            times = services.weekly_block_times(
                first_day=repeat["first_day"],
                starts=repeat["starts"],
                ends=repeat["ends"],
                occurrences=repeat["occurrences"],
                every_weeks=repeat.get("every_weeks", 1),
                time_zone=zone,
            )
        except RuleViolation as error:
            # Name the inputs as the request does: "repeat.starts".
            error.fields = {
                (name if name == "time_zone" else f"repeat.{name}"): messages
                for name, messages in error.fields.items()
            }
            raise
        blocks = [
            ProposedBlock(start, end, repeat.get("room"), index=i)
            for i, (start, end) in enumerate(times)
        ]
    else:
        blocks = [
            ProposedBlock(b["starts_at"], b["ends_at"], b.get("room"), index=i)
            for i, b in enumerate(data["blocks"])
        ]
    course = data["course"]
    return SessionInput(
        course=course,
        delivery_mode=data["delivery_mode"],
        capacity=data.get("capacity", course.default_capacity),
        time_zone=zone,
        blocks=blocks,
        instructors=[
            ProposedInstructor(p["instructor"], p["role"]) for p in data.get("instructors", [])
        ],
        host_account=data.get("host_account"),
        join_url=data.get("join_url", ""),
        min_attendees=data.get("min_attendees", 0),
        registration_opens_at=data.get("registration_opens_at"),
        registration_closes_at=data.get("registration_closes_at"),
        notes=data.get("notes", ""),
        wanted_features=data.get("wanted_features"),
        status=data.get("status", SessionStatus.DRAFT),
    )


class SessionCollectionApi(SessionPolicyMixin, generics.ListAPIView):
    policy_resource = "session"
    policy_actions = COLLECTION
    serializer_class = SessionOutput
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        return session_list_for(self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **self.output_context()}

    @extend_schema(request=SessionCreateInput, responses={201: SessionResultOutput})
    def post(self, request: Request) -> Response:
        data = session_input_from(self.validated(SessionCreateInput))
        session = services.session_create(data=data, created_by=request.user)
        return self.result(session.pk, data.warnings, code=status.HTTP_201_CREATED)


class SessionCheckApi(SessionPolicyMixin, APIView):
    """Preview a new session: every error and warning the rules would raise. Writes nothing."""

    policy_resource = "preview"
    policy_actions = {"POST": "check"}

    @extend_schema(request=SessionCreateInput, responses={200: ReportOutput})
    def post(self, request: Request) -> Response:
        proposal = session_input_from(self.validated(SessionCreateInput)).proposal()
        report = services.evaluate(proposal, now=timezone.now())
        return Response(ReportOutput(report).data)


class SessionDetailApi(SessionPolicyMixin, APIView):
    policy_resource = "session"
    policy_actions = {"GET": "retrieve", "PATCH": "update"}

    @extend_schema(responses={200: SessionOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(SessionOutput(self.session(pk), context=self.output_context()).data)

    @extend_schema(request=SessionUpdateInput, responses={200: SessionResultOutput})
    def patch(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        changes = self.validated(SessionUpdateInput, partial=True)
        session, warnings = services.session_update(session_id=session.pk, **changes)
        return self.result(session.pk, warnings)


class SessionTransitionApi(SessionPolicyMixin, APIView):
    """Publish (draft → scheduled), complete, or cancel (with a reason, freeing every booking)."""

    policy_resource = "session"
    policy_actions = {"POST": "transition"}

    @extend_schema(request=TransitionInput, responses={200: SessionResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        data = self.validated(TransitionInput)
        services.session_transition(
            session_id=session.pk, to_status=data["status"], reason=data.get("reason", "")
        )
        return self.result(session.pk)


class SessionRescheduleApi(SessionPolicyMixin, APIView):
    """Move and/or re-room blocks, all or nothing (a conflict is a 409 naming the session)."""

    policy_resource = "session"
    policy_actions = {"POST": "reschedule"}

    @extend_schema(request=RescheduleInput, responses={200: SessionResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        changes = [
            services.BlockChange(
                block_id=change["block"],
                starts_at=change.get("starts_at"),
                ends_at=change.get("ends_at"),
                room=change.get("room"),
            )
            for change in self.validated(RescheduleInput)["changes"]
        ]
        session, warnings = services.session_reschedule(session_id=session.pk, changes=changes)
        return self.result(session.pk, warnings)


class BlockAddApi(SessionPolicyMixin, APIView):
    policy_resource = "session_block"
    policy_actions = {"POST": "create"}

    @extend_schema(request=BlockAddInput, responses={201: SessionResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        data = self.validated(BlockAddInput)
        _block, warnings = services.block_add(
            session_id=session.pk,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            room=data.get("room"),
        )
        return self.result(session.pk, warnings, code=status.HTTP_201_CREATED)


class BlockPolicyMixin(SessionPolicyMixin):
    def block_of(self, pk: int, block_pk: int) -> Session:
        """The session, once we know the block is one of its blocks (else 404)."""
        session = self.session(pk)
        if not any(block.pk == block_pk for block in session.blocks.all()):
            raise NotFound()
        return session


class BlockCancelApi(BlockPolicyMixin, APIView):
    """Cancel one block and free its bookings (the session's last block cannot be cancelled)."""

    policy_resource = "session_block"
    policy_actions = {"POST": "cancel"}

    @extend_schema(request=BlockCancelInput, responses={200: SessionResultOutput})
    def post(self, request: Request, pk: int, block_pk: int) -> Response:
        session = self.block_of(pk, block_pk)
        reason = self.validated(BlockCancelInput)["reason"]
        services.block_cancel(session_id=session.pk, block_id=block_pk, reason=reason)
        return self.result(session.pk)


class BlockRestoreApi(BlockPolicyMixin, APIView):
    """Restore a cancelled block if its room, host account and instructors are still free."""

    policy_resource = "session_block"
    policy_actions = {"POST": "restore"}

    @extend_schema(request=None, responses={200: SessionResultOutput})
    def post(self, request: Request, pk: int, block_pk: int) -> Response:
        session = self.block_of(pk, block_pk)
        _block, warnings = services.block_restore(session_id=session.pk, block_id=block_pk)
        return self.result(session.pk, warnings)


class AssignmentCreateApi(SessionPolicyMixin, APIView):
    """Assign an instructor to every upcoming block (qualified, available, not booked)."""

    policy_resource = "assignment"
    policy_actions = {"POST": "create"}

    @extend_schema(request=AssignInput, responses={201: SessionResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        data = self.validated(AssignInput)
        _assignment, warnings = services.session_assign_instructor(
            session_id=session.pk, instructor=data["instructor"], role=data["role"]
        )
        return self.result(session.pk, warnings, code=status.HTTP_201_CREATED)


class AssignmentDeleteApi(SessionPolicyMixin, APIView):
    policy_resource = "assignment"
    policy_actions = {"DELETE": "delete"}

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, assignment_pk: int) -> Response:
        session = self.session(pk)
        if not any(a.pk == assignment_pk for a in session.assignments.all()):
            raise NotFound()
        services.session_unassign_instructor(session_id=session.pk, assignment_id=assignment_pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssignmentListApi(PolicyMixin, generics.ListAPIView):
    """Assignments of instructors to sessions: all of them, or an instructor's own."""

    policy_resource = "assignment"
    policy_actions = {"GET": "list"}
    serializer_class = AssignmentListOutput
    filterset_class = AssignmentFilter

    def get_queryset(self) -> QuerySet[InstructorAssignment]:
        rows = InstructorAssignment.objects.select_related(
            "session__course", "instructor__user"
        ).order_by("session__starts_at", "session_id", "pk")
        if getattr(self, "swagger_fake_view", False) or self.policy_scope == Scope.ALL:
            return rows
        return rows.filter(instructor__user_id=self.request.user.pk)


# --- Availability --------------------------------------------------------------------------------

MAX_SEARCH_BLOCKS = 50


class RoomAvailabilityApi(PolicyMixin, generics.ListAPIView):
    """Bookable rooms free for every block (buffers included), big enough, with the features."""

    policy_resource = "availability"
    policy_actions = {"GET": "rooms"}
    serializer_class = RoomOutput
    filter_backends: list[Any] = []

    class Query(serializers.Serializer):
        block = serializers.ListField(
            child=IntervalField(), min_length=1, max_length=MAX_SEARCH_BLOCKS
        )
        min_capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY, required=False)
        features = serializers.ListField(
            child=EnumField(RoomFeature.choices, enum_name="RoomFeature"),
            max_length=len(RoomFeature.choices),
            required=False,
        )
        site = id_field(required=False)

    @extend_schema(parameters=[Query])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Room]:
        if getattr(self, "swagger_fake_view", False):
            return Room.objects.none()
        params = validated(self.Query, self.request.query_params)
        return rooms_available(
            blocks=params["block"],
            min_capacity=params.get("min_capacity", 1),
            features=params.get("features", []),
            site_id=params.get("site"),
        )


class InstructorAvailabilityApi(PolicyMixin, generics.ListAPIView):
    """Active instructors qualified for the course on those dates (in the session's zone), free
    for every block."""

    policy_resource = "availability"
    policy_actions = {"GET": "instructors"}
    serializer_class = InstructorRefOutput
    filter_backends: list[Any] = []

    class Query(serializers.Serializer):
        course = related(Course.objects.all())
        block = serializers.ListField(
            child=IntervalField(), min_length=1, max_length=MAX_SEARCH_BLOCKS
        )
        time_zone = TimeZoneField(
            help_text="IANA zone of the session, e.g. Europe/Paris: qualifications must not "
            "expire before the last block's date there."
        )

    @extend_schema(parameters=[Query])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Instructor]:
        if getattr(self, "swagger_fake_view", False):
            return Instructor.objects.none()
        params = validated(self.Query, self.request.query_params)
        return instructors_available(
            course=params["course"], blocks=params["block"], time_zone=params["time_zone"]
        )
