"""Self check-in API: a learner checks in with the code (`POST /api/v1/check-in/`), and the
session's instructors (and coordinators) read the block's current code
(`GET /api/v1/sessions/<id>/blocks/<id>/check-in-code/`). Same service and rules as the pages
(attendance.services.check_in); refusals use the one error shape, with their own codes."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.access import may_show_code
from attendance.check_in_views import check_in_url
from attendance.checkin_codes import (
    CODE_SECONDS,
    check_in_window,
    code_at,
    window_index,
    window_starts,
)
from attendance.services.check_in import attendance_check_in
from scheduling.api import SessionPolicyMixin
from scheduling.models import BlockStatus, DeliveryMode, SessionBlock
from tms.api import ErrorSerializer, PolicyMixin


class CheckInInput(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text="The 6 digits the instructor shows.")


class CheckInOutput(serializers.Serializer):
    attendance_id = serializers.IntegerField(source="record.pk")
    session_id = serializers.IntegerField(source="block.session_id")
    block_id = serializers.IntegerField(source="block.pk")
    status = serializers.CharField(source="record.status", help_text="present or late")
    checked_in_at = serializers.DateTimeField(source="record.recorded_at")


class CheckInCodeOutput(serializers.Serializer):
    block_id = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=["before", "open", "after"], help_text="Check-in not open yet, open, or closed."
    )
    code = serializers.CharField(allow_null=True, help_text="Only while check-in is open.")
    check_in_url = serializers.URLField(
        allow_null=True, help_text="The learner's check-in page with the code (the QR code's)."
    )
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="The code is accepted until then (one more window)."
    )
    next_code_at = serializers.DateTimeField(help_text="When the next code replaces it.")
    opens_at = serializers.DateTimeField(
        help_text="The block's start less the grace period (CHECKIN_GRACE_MINUTES)."
    )
    closes_at = serializers.DateTimeField(help_text="The block's end plus the same grace period.")


class CheckInApi(PolicyMixin, APIView):
    """Check the signed-in learner in to the block whose current code this is (among their
    sessions): present, or late from 5 minutes after the block's start. Refused (one error
    shape): `check_in_not_open`, `check_in_code_expired`, `check_in_other_session`,
    `check_in_not_registered` (403), `already_checked_in`, `check_in_wrong_code` (400),
    `too_many_tries` (429, after 10 tries in 10 minutes)."""

    policy_resource = "check_in"
    policy_actions = {"POST": "create"}

    @extend_schema(
        request=CheckInInput,
        responses={
            201: CheckInOutput,
            429: OpenApiResponse(ErrorSerializer, description="Too many tries: wait."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated(CheckInInput)
        learner = cast(User, request.user)  # a learner: the policy refuses anonymous callers
        result = attendance_check_in(learner=learner, code=data["code"], now=timezone.now())
        return Response(CheckInOutput(result).data, status=status.HTTP_201_CREATED)


class CheckInCodeApi(SessionPolicyMixin, APIView):
    """The block's current check-in code, for the panel or another display: coordinators, and
    instructors of the session."""

    policy_resource = "check_in"
    policy_actions = {"GET": "code"}

    @extend_schema(responses={200: CheckInCodeOutput})
    def get(self, request: Request, pk: int, block_pk: int) -> Response:
        session = self.session(pk)  # 404 if invisible; instructors: only sessions they teach
        if not may_show_code(request.user, session):
            raise PermissionDenied()
        try:
            if session.delivery_mode != DeliveryMode.ILT:  # online: the participant report
                raise SessionBlock.DoesNotExist
            block = session.blocks.get(pk=block_pk, status=BlockStatus.ACTIVE)
        except SessionBlock.DoesNotExist:
            raise NotFound() from None
        now = timezone.now()
        window = check_in_window(block)
        state = window.state(now)
        index = window_index(now)
        code = code_at(block.pk, index) if state == "open" else None
        data = {
            "block_id": block.pk,
            "state": state,
            "code": code,
            "check_in_url": check_in_url(request, code) if code else None,
            "valid_until": min(window_starts(index + 2), window.closes) if code else None,
            "next_code_at": window_starts(index + 1),
            "opens_at": window.opens,
            "closes_at": window.closes,
        }
        response = Response(CheckInCodeOutput(data).data)
        response["Cache-Control"] = f"private, max-age={CODE_SECONDS // 12}"
        return response
