"""API of the roster's coordinator actions, the same services as the roster page: give a free
seat to a chosen waitlisted learner (reason required and kept), and message everyone
registered. Refusals (no free seat: 409 `session_full`) use the one error shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.api import RegistrationPolicyMixin
from attendance.models import Registration, RosterAudience
from attendance.services.chosen_promotion import REASON_MAX_LENGTH, waitlist_promote_chosen
from attendance.services.roster_messages import (
    BODY_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    roster_message_send,
)
from scheduling.api import SessionPolicyMixin


class ChosenPromotionInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Why this learner (kept with the choice)."
    )


class ChosenPromotionOutput(serializers.Serializer):
    registration_id = serializers.IntegerField()
    status = serializers.CharField(help_text="confirmed, or offered (the session's policy).")
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    from_position = serializers.IntegerField(help_text="The learner's place in the line before.")


class RosterMessageInput(serializers.Serializer):
    audience = serializers.ChoiceField(choices=RosterAudience.choices)
    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = serializers.CharField(max_length=BODY_MAX_LENGTH)


class RosterMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    audience = serializers.CharField()
    subject = serializers.CharField()
    recipients = serializers.IntegerField(help_text="How many learners it was queued to.")
    created_at = serializers.DateTimeField()


class WaitlistPromoteApi(RegistrationPolicyMixin, APIView):
    """Give the free seat to this waitlisted learner, wherever they stand in the line:
    confirmed, or offered until the session's deadline (its waitlist policy)."""

    policy_resource = "waitlist"
    policy_actions = {"POST": "promote"}

    @extend_schema(request=ChosenPromotionInput, responses={200: ChosenPromotionOutput})
    def post(self, request: Request, pk: int) -> Response:
        registration = self.registration(pk)
        data = self.validated(ChosenPromotionInput)
        try:
            promoted = waitlist_promote_chosen(
                registration_id=registration.pk, promoted_by=request.user, reason=data["reason"]
            )
        except Registration.DoesNotExist:
            raise NotFound() from None
        return Response(ChosenPromotionOutput(promoted).data)


class RosterMessageApi(SessionPolicyMixin, APIView):
    """Message the session's learners: confirmed only, or everyone registered (confirmed,
    offered, waitlisted). One email each through the outbox; the message is kept."""

    policy_resource = "roster"
    policy_actions = {"POST": "message"}

    @extend_schema(request=RosterMessageInput, responses={201: RosterMessageOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        data: dict[str, Any] = self.validated(RosterMessageInput)
        sent = roster_message_send(session_id=session.pk, sent_by=request.user, **data)
        body = {
            "id": sent.pk,
            "audience": sent.audience,
            "subject": sent.subject,
            "recipients": sent.recipients.count(),
            "created_at": sent.created_at,
        }
        return Response(RosterMessageOutput(body).data, status=status.HTTP_201_CREATED)
