"""API of attendance per block and sign-off, the same services as the attendance page.

- `GET  /api/v1/sessions/<id>/attendance/`: blocks, records, the sign-off and completions,
  and (under the course's minutes rule, before sign-off) the late or left-early records that
  still need their minutes, which sign-off waits for.
  Coordinators and auditors read every session's, instructors those they teach; a learner
  reads only their own records and outcome, in a session they are registered in.
- `POST /api/v1/sessions/<id>/attendance/`: mark one learner in one block (after sign-off
  with a `reason`: a late edit, which derives the learner's completion again).
- `POST /api/v1/sessions/<id>/attendance/blocks/<block_id>/all-present/`: everyone unmarked
  in the block is present.
- `POST /api/v1/sessions/<id>/attendance/sign-off/`: the lead instructor (or a coordinator)
  submits; 409 `attendance_incomplete` lists who is unmarked unless `absent_unmarked`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.access import may_mark, may_read_all, may_sign_off
from attendance.attendance_sheet import active_blocks, attendance_records_of, sign_off_of
from attendance.models import (
    AttendanceSource,
    AttendanceStatus,
    Completion,
    CompletionStatus,
    Registration,
    RegistrationStatus,
)
from attendance.services.completion_rules import Attended, needs_minutes
from attendance.services.marking import (
    NOTES_MAX_LENGTH,
    REASON_MAX_LENGTH,
    Mark,
    attendance_mark_all_present,
    attendance_mark_outcome,
)
from attendance.services.outcomes import CompletionChange
from attendance.services.sign_off import attendance_sign_off, minutes_missing_in
from scheduling.api import SessionPolicyMixin
from scheduling.models import CompletionRule, Session, SessionBlock
from tms.api import EnumField, id_field

# --- Shapes --------------------------------------------------------------------------------------


class AttendanceRecordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    registration_id = serializers.IntegerField()
    learner_id = serializers.IntegerField(source="registration.learner_id")
    block_id = serializers.IntegerField()
    status = EnumField(AttendanceStatus.choices, enum_name="AttendanceStatus")
    minutes_attended = serializers.IntegerField(allow_null=True)
    notes = serializers.CharField()
    source = EnumField(AttendanceSource.choices, enum_name="AttendanceSource")
    recorded_by_id = serializers.IntegerField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    late_edit = serializers.BooleanField()
    late_edit_reason = serializers.CharField()


class CompletionChangeOutput(serializers.Serializer):
    registration_id = serializers.IntegerField()
    learner_id = serializers.IntegerField()
    before = serializers.CharField(allow_null=True, help_text="null: created now.")
    after = EnumField(CompletionStatus.choices, enum_name="CompletionStatus")


class AttendanceCompletionOutput(serializers.Serializer):
    registration_id = serializers.IntegerField()
    learner_id = serializers.IntegerField(source="registration.learner_id")
    status = EnumField(CompletionStatus.choices, enum_name="CompletionStatus")
    recorded_at = serializers.DateTimeField()


class AttendanceBlockOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class AttendanceSignOffOutput(serializers.Serializer):
    signed_off_by_id = serializers.IntegerField()
    signed_off_at = serializers.DateTimeField()


class AttendanceGapOutput(serializers.Serializer):
    registration_id = serializers.IntegerField()
    learner_id = serializers.IntegerField()
    block_id = serializers.IntegerField()


class AttendanceOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    completion_rule = EnumField(CompletionRule.choices, enum_name="CompletionRule")
    blocks = AttendanceBlockOutput(many=True, help_text="Active blocks, in order.")
    records = AttendanceRecordOutput(many=True)
    minutes_missing = AttendanceGapOutput(
        many=True,
        help_text="Under the minutes rule, before sign-off: late or left-early records "
        "without minutes. Sign-off is refused (409 `attendance_incomplete`) until they have "
        "them.",
    )
    sign_off = AttendanceSignOffOutput(allow_null=True)
    completions = AttendanceCompletionOutput(many=True)


class AttendanceMarkInput(serializers.Serializer):
    registration_id = id_field()
    block_id = id_field()
    status = EnumField(AttendanceStatus.choices, enum_name="AttendanceStatus")
    minutes_attended = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100_000
    )
    notes = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, default=""
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        default="",
        help_text="Required once the attendance is signed off (the change is a late edit).",
    )


class AttendanceMarkOutput(serializers.Serializer):
    record = AttendanceRecordOutput()
    changed = serializers.BooleanField(help_text="False: the same mark was already recorded.")
    completion = CompletionChangeOutput(
        allow_null=True, help_text="What a late edit did to the learner's completion."
    )
    minutes_needed = serializers.BooleanField(
        help_text="Under the course's minutes rule: a late or left-early mark without minutes, "
        "which sign-off waits for."
    )


class AttendanceAllPresentInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH, default=""
    )


class AttendanceAllPresentOutput(serializers.Serializer):
    marked = AttendanceRecordOutput(many=True, help_text="The records written (were unmarked).")


class AttendanceSignOffInput(serializers.Serializer):
    absent_unmarked = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Count every confirmed learner still unmarked in a block as absent.",
    )


class AttendanceSignOffResultOutput(serializers.Serializer):
    sign_off = AttendanceSignOffOutput()
    completions = CompletionChangeOutput(many=True, help_text="Completions created or changed.")
    marked_absent = AttendanceRecordOutput(many=True)


def _change(change: CompletionChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "registration_id": change.registration_id,
        "learner_id": change.learner_id,
        "before": change.before,
        "after": change.after,
    }


# --- Views ---------------------------------------------------------------------------------------


class AttendancePolicyMixin(SessionPolicyMixin):
    policy_resource = "attendance"

    def policy_owns(self, session: Session) -> bool:
        """Taught by the caller, or (for a learner reading) a session they hold a seat in."""
        if super().policy_owns(session):
            return True
        return Registration.objects.filter(
            session=session, learner_id=self.request.user.pk
        ).exists()

    def marker_session(self, pk: int) -> Session:
        session = self.session(pk)
        if not may_mark(self.request.user, session):
            raise PermissionDenied()
        return session


class AttendanceSheetApi(AttendancePolicyMixin, APIView):
    """Read a session's attendance, or mark one learner in one block."""

    policy_actions = {"GET": "retrieve", "POST": "mark"}
    # The composition root (tms/api_urls.py) passes the door that also certifies what a late
    # edit changes.
    mark = staticmethod(attendance_mark_outcome)

    @extend_schema(responses={200: AttendanceOutput})
    def get(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        records = attendance_records_of(session)
        completions = Completion.objects.filter(registration__session=session).select_related(
            "registration"
        )
        signed = sign_off_of(session)
        rule = session.course.completion_rule
        minutes_missing = minutes_missing_in(session.pk, rule) if signed is None else []
        if not may_read_all(request.user, session):
            # A learner: their own records and outcome only.
            records = records.filter(registration__learner_id=request.user.pk)
            completions = completions.filter(registration__learner_id=request.user.pk)
            minutes_missing = [m for m in minutes_missing if m.learner_id == request.user.pk]
        data = {
            "session_id": session.pk,
            "completion_rule": rule,
            "blocks": active_blocks(session),
            "records": list(records),
            "minutes_missing": minutes_missing,
            "sign_off": signed,
            "completions": list(completions.order_by("registration_id")),
        }
        return Response(AttendanceOutput(data).data)

    @extend_schema(request=AttendanceMarkInput, responses={200: AttendanceMarkOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.marker_session(pk)
        data = self.validated(AttendanceMarkInput)
        registration = Registration.objects.filter(
            pk=data["registration_id"], session=session, status=RegistrationStatus.CONFIRMED
        ).first()
        if registration is None:
            raise serializers.ValidationError(
                {"registration_id": ["No confirmed learner of this session has this id."]}
            )
        block = SessionBlock.objects.filter(pk=data["block_id"], session=session).first()
        if block is None:
            raise serializers.ValidationError(
                {"block_id": ["This session has no block with this id."]}
            )
        marked = self.mark(
            registration=registration,
            block=block,
            mark=Mark(data["status"], data.get("minutes_attended"), data["notes"]),
            source=AttendanceSource.ROSTER,
            recorded_by=request.user,
            now=timezone.now(),
            reason=data["reason"],
        )
        record = marked.record
        body = {
            "record": record,
            "changed": marked.written,
            "completion": _change(marked.completion),
            "minutes_needed": needs_minutes(
                session.course.completion_rule, Attended(record.status, record.minutes_attended)
            ),
        }
        return Response(AttendanceMarkOutput(body).data)


class AttendanceAllPresentApi(AttendancePolicyMixin, APIView):
    """Everyone confirmed and still unmarked in the block is present (marks taken stay)."""

    policy_actions = {"POST": "mark"}
    # The composition root (tms/api_urls.py) passes the door that also certifies.
    mark_all = staticmethod(attendance_mark_all_present)

    @extend_schema(request=AttendanceAllPresentInput, responses={200: AttendanceAllPresentOutput})
    def post(self, request: Request, pk: int, block_pk: int) -> Response:
        session = self.marker_session(pk)
        block = SessionBlock.objects.filter(pk=block_pk, session=session).first()
        if block is None:
            raise NotFound()
        data = self.validated(AttendanceAllPresentInput)
        marked = self.mark_all(
            block=block, recorded_by=request.user, now=timezone.now(), reason=data["reason"]
        )
        return Response(AttendanceAllPresentOutput({"marked": [m.record for m in marked]}).data)


class AttendanceSignOffApi(AttendancePolicyMixin, APIView):
    """Submit the attendance: each confirmed registration becomes completed or not completed
    by the course's rule; the completions created or changed are returned."""

    policy_actions = {"POST": "sign_off"}
    # The composition root (tms/api_urls.py) passes the door that also certifies.
    sign_off = staticmethod(attendance_sign_off)

    @extend_schema(request=AttendanceSignOffInput, responses={201: AttendanceSignOffResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        if not may_sign_off(request.user, session):
            raise PermissionDenied()
        data = self.validated(AttendanceSignOffInput)
        done = self.sign_off(
            session_id=session.pk,
            by=request.user,
            now=timezone.now(),
            absent_unmarked=data["absent_unmarked"],
        )
        body = {
            "sign_off": done.sign_off,
            "completions": [_change(change) for change in done.completions],
            "marked_absent": done.marked_absent,
        }
        return Response(AttendanceSignOffResultOutput(body).data, status=status.HTTP_201_CREATED)
