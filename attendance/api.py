"""REST API for registrations: register, enrol (one or in bulk), "my registrations", cancel,
accept or decline an offer, a session's roster and waitlist, moving a learner on the waitlist,
the any-date course waitlist, sessions with their seats, and the 48-hour message preview.

Thin views: the policy table (tms/permissions.py) decides who may call what; objects are
fetched through visibility rules (not visible → 404); one service call does the work. A full
session is a success (waitlisted at position N); refusals are 400/409 in the one error shape.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.access import may_see_roster
from attendance.filters import CourseWaitlistFilter, RegistrationFilter
from attendance.models import (
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
)
from attendance.selectors import (
    course_waitlist_of,
    messages_preview,
    registration_read,
    registrations_of,
    registrations_visible,
    roster_for,
    seats_by_session,
    seats_for,
    waitlist_for,
    with_waitlist_positions,
)
from attendance.serializers import (
    PREVIEW_HOURS,
    BulkEnrolInput,
    BulkEnrolOutput,
    CancelInput,
    CourseWaitlistEntryOutput,
    CourseWaitlistJoinInput,
    EnrolInput,
    MessagePreviewOutput,
    MessagePreviewQuery,
    RegisterResultOutput,
    RegistrationOutput,
    RosterOutput,
    SessionWithSeatsOutput,
    WaitlistMoveInput,
)
from attendance.services.registration import (
    Registered,
    course_waitlist_join,
    course_waitlist_leave,
    offer_accept,
    offer_decline,
    registration_bulk_enrol,
    registration_cancel,
    registration_create,
    waitlist_move,
)
from scheduling.api import SessionCollectionApi, SessionDetailApi, SessionPolicyMixin
from scheduling.models import Course, Session
from scheduling.selectors import session_is_visible
from tms.api import PolicyMixin, validated
from tms.permissions import Scope


class RegistrationPolicyMixin(PolicyMixin):
    def policy_owns(self, registration: Registration) -> bool:
        return bool(registration.learner_id == self.request.user.pk)

    def registration(self, pk: int) -> Registration:
        """A registration within the caller's scope for this action (else 404)."""
        rows = registrations_visible(self.request.user, self.policy_scope)
        return self.get_visible(rows, pk=pk)

    def output(self, registration_id: int, code: int = status.HTTP_200_OK) -> Response:
        try:
            registration = registration_read(registration_id)
        except Registration.DoesNotExist:
            raise NotFound() from None
        return Response(RegistrationOutput(registration).data, status=code)


# --- Registering ----------------------------------------------------------------------------------


_moment = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return None if value is None else _moment.to_representation(value)


def register_result(outcome: Registered) -> Response:
    """201 either way: a confirmed seat, or a place on the waitlist at position N.

    Built by hand in the shape of `RegisterResultOutput` (the schema documents that class): a
    sales rush registers thousands of learners a minute and the nested serializers cost more
    CPU than the registration's SQL. A test compares both renderings.
    """
    session, learner = outcome.session, outcome.learner
    if outcome.confirmed:
        message = _("Confirmed")
    else:
        message = _("Added to the waitlist at position %d") % (outcome.position or 0)
    body = {
        "registration": {
            "id": outcome.registration_id,
            "session": {
                "id": session.id,
                "course": {
                    "id": session.course_id,
                    "code": session.course_code,
                    "title": session.course_title,
                },
                "status": session.status,
                "delivery_mode": session.delivery_mode,
                "starts_at": _when(session.starts_at),
                "ends_at": _when(session.ends_at),
                "time_zone": session.time_zone,
            },
            "learner": {
                "id": learner.pk,
                "username": learner.get_username(),
                "name": learner.get_full_name() or learner.get_username(),  # type: ignore[attr-defined]
                "email": learner.email,  # type: ignore[attr-defined]
            },
            "status": outcome.status,
            "source": outcome.source,
            "position": outcome.position,
            "offer_expires_at": _when(outcome.offer_expires_at),
            "confirmed_at": _when(outcome.confirmed_at),
            "cancelled_at": None,
            "cancellation_reason": "",
            "late_cancellation": False,
            "created_at": _when(outcome.created_at),
        },
        "status": outcome.status,
        "position": outcome.position,
        "message": str(message),
    }
    return Response(body, status=status.HTTP_201_CREATED)


class SessionRegistrationMixin(PolicyMixin):
    def visible_session_id(self, pk: int) -> int:
        """The session id if the caller may see the session (one cheap query; else 404).

        Registering is the hot path of a sales rush: no prefetching here; the service reads
        and locks the session itself.
        """
        if not session_is_visible(self.request.user, pk):
            raise NotFound()
        return pk

    def take_seat(self, **kwargs: Any) -> Registered:
        try:
            return registration_create(**kwargs)
        except Session.DoesNotExist:  # not visible to the caller, or deleted meanwhile
            raise NotFound() from None


class RegistrationRegisterApi(SessionRegistrationMixin, APIView):
    """The signed-in learner registers: a confirmed seat, or the waitlist when full.

    Both are a 201 (a full session is not an error). Closed window, duplicate registration and
    a clash with another seat are 409; missing prerequisites a 400 naming the courses.
    """

    policy_resource = "registration"
    policy_actions = {"POST": "create"}

    @extend_schema(request=None, responses={201: RegisterResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        # The service checks visibility in its own read of the session (a sales rush calls
        # this endpoint thousands of times a minute): an invisible session is a 404.
        outcome = self.take_seat(session_id=pk, learner=request.user, viewer=request.user)
        return register_result(outcome)


class RegistrationEnrolApi(SessionRegistrationMixin, APIView):
    """A coordinator enrols a learner (by user id or email), also outside the self-service
    window. With an "own" scope (a learner) only oneself, as self-service registration."""

    policy_resource = "registration"
    policy_actions = {"POST": "create"}

    @extend_schema(request=EnrolInput, responses={201: RegisterResultOutput})
    def post(self, request: Request, pk: int) -> Response:
        session_id = self.visible_session_id(pk)
        learner: AbstractBaseUser = self.validated(EnrolInput)["learner"]
        if self.policy_scope != Scope.ALL:
            if learner.pk != request.user.pk:
                raise PermissionDenied(_("You may only register yourself."))
            outcome = self.take_seat(session_id=session_id, learner=request.user)
        else:
            outcome = self.take_seat(
                session_id=session_id,
                learner=learner,
                enrolled_by=request.user,
                source=RegistrationSource.COORDINATOR,
            )
        return register_result(outcome)


class RegistrationBulkEnrolApi(SessionRegistrationMixin, APIView):
    """Enrol a list of addresses; every address is reported: confirmed, waitlisted (with its
    position), unknown (no such account) or refused (with the rule's message)."""

    policy_resource = "registration"
    policy_actions = {"POST": "bulk_enrol"}

    @extend_schema(request=BulkEnrolInput, responses={200: BulkEnrolOutput})
    def post(self, request: Request, pk: int) -> Response:
        session_id = self.visible_session_id(pk)
        addresses = self.validated(BulkEnrolInput)["addresses"]
        outcome = registration_bulk_enrol(
            session_id=session_id, emails=addresses, enrolled_by=request.user
        )
        data = {
            "confirmed": outcome.confirmed,
            "waitlisted": [{"email": e, "position": p} for e, p in outcome.waitlisted],
            "unknown": outcome.unknown,
            "refused": [{"email": e, "reason": r} for e, r in outcome.refused],
        }
        return Response(BulkEnrolOutput(data).data)


# --- My registrations, cancelling, offers, moving -------------------------------------------------


class RegistrationListApi(RegistrationPolicyMixin, generics.ListAPIView):
    """A learner's own registrations (an instructor's: also those in sessions they teach);
    coordinators and auditors see all. Newest sessions first."""

    policy_resource = "registration"
    policy_actions = {"GET": "list"}
    serializer_class = RegistrationOutput
    filterset_class = RegistrationFilter

    def get_queryset(self) -> QuerySet[Registration]:
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return with_waitlist_positions(registrations_visible(self.request.user, self.policy_scope))


class RegistrationCancelApi(RegistrationPolicyMixin, APIView):
    """Cancel a place: a learner their own (reason optional), a coordinator anyone's (reason
    required). A freed seat goes to the head of the line at once; late cancellations are
    marked."""

    policy_resource = "registration"
    policy_actions = {"POST": "cancel"}

    @extend_schema(request=CancelInput, responses={200: RegistrationOutput})
    def post(self, request: Request, pk: int) -> Response:
        self.registration(pk)  # within the caller's scope, else 404
        reason = self.validated(CancelInput).get("reason", "")
        registration_cancel(registration_id=pk, cancelled_by=request.user, reason=reason)
        return self.output(pk)


class OfferRespondApi(RegistrationPolicyMixin, APIView):
    policy_resource = "registration"
    policy_actions = {"POST": "respond_offer"}
    service: Any

    @extend_schema(request=None, responses={200: RegistrationOutput})
    def post(self, request: Request, pk: int) -> Response:
        registration = self.get_visible(registrations_of(request.user), pk=pk)
        try:
            self.service(registration_id=registration.pk, learner=request.user)
        except Registration.DoesNotExist:
            raise NotFound() from None
        return self.output(pk)


class OfferAcceptApi(OfferRespondApi):
    """Take the offered seat before its deadline (409 once expired or not offered)."""

    service = staticmethod(offer_accept)


class OfferDeclineApi(OfferRespondApi):
    """ "Not interested": the seat passes to the next learner after commit."""

    service = staticmethod(offer_decline)


class WaitlistMoveApi(RegistrationPolicyMixin, APIView):
    """Move a waitlisted learner to another position; the reason is required and kept."""

    policy_resource = "waitlist"
    policy_actions = {"POST": "move"}

    @extend_schema(request=WaitlistMoveInput, responses={200: RegistrationOutput})
    def post(self, request: Request, pk: int) -> Response:
        registration = self.registration(pk)
        data = self.validated(WaitlistMoveInput)
        try:
            waitlist_move(
                registration_id=registration.pk,
                to_position=data["to_position"],
                moved_by=request.user,
                reason=data["reason"],
            )
        except Registration.DoesNotExist:
            raise NotFound() from None
        return self.output(pk)


# --- Roster ---------------------------------------------------------------------------------------


class RosterApi(SessionPolicyMixin, APIView):
    """Seats, seat holders and the waitlist (with positions): coordinators and auditors for
    every session, instructors for the sessions they teach."""

    policy_resource = "roster"
    policy_actions = {"GET": "retrieve"}

    @extend_schema(responses={200: RosterOutput})
    def get(self, request: Request, pk: int) -> Response:
        session = self.session(pk)  # also checks "own" (taught by the caller)
        if not may_see_roster(request.user, session):
            raise PermissionDenied()
        data = {
            "seats": seats_for(session),
            "confirmed": list(roster_for(session)),
            "waitlist": list(waitlist_for(session)),
        }
        return Response(RosterOutput(data).data)


# --- Any-date course waitlist ---------------------------------------------------------------------


class CourseWaitlistPolicyMixin(PolicyMixin):
    def policy_owns(self, entry: CourseWaitlistEntry) -> bool:
        return bool(entry.learner_id == self.request.user.pk)

    def visible_entries(self) -> QuerySet[CourseWaitlistEntry]:
        """Open entries (waiting or offered): all of them, or the caller's own."""
        if self.policy_scope == Scope.ALL:
            rows = CourseWaitlistEntry.objects.filter(
                status__in=[CourseWaitlistStatus.WAITING, CourseWaitlistStatus.OFFERED]
            )
        else:
            rows = course_waitlist_of(self.request.user)
        return rows.select_related("course", "learner").order_by("created_at", "pk")


class CourseWaitlistCollectionApi(CourseWaitlistPolicyMixin, generics.ListAPIView):
    """Waiting for any date of a course: the first seat that frees in any upcoming session."""

    policy_resource = "course_waitlist"
    policy_actions = {"GET": "list", "POST": "create"}
    serializer_class = CourseWaitlistEntryOutput
    filterset_class = CourseWaitlistFilter

    def get_queryset(self) -> QuerySet[CourseWaitlistEntry]:
        if getattr(self, "swagger_fake_view", False):
            return CourseWaitlistEntry.objects.none()
        return self.visible_entries()

    @extend_schema(request=CourseWaitlistJoinInput, responses={201: CourseWaitlistEntryOutput})
    def post(self, request: Request) -> Response:
        course: Course = self.validated(CourseWaitlistJoinInput)["course"]
        try:
            entry = course_waitlist_join(course_id=course.pk, learner=request.user)
        except Course.DoesNotExist:  # made inactive meanwhile
            raise NotFound() from None
        entry = self.get_visible(self.visible_entries(), pk=entry.pk)
        return Response(CourseWaitlistEntryOutput(entry).data, status=status.HTTP_201_CREATED)


class CourseWaitlistDetailApi(CourseWaitlistPolicyMixin, APIView):
    policy_resource = "course_waitlist"
    policy_actions = {"DELETE": "delete"}

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        entry = self.get_visible(self.visible_entries(), pk=pk)
        course_waitlist_leave(entry_id=entry.pk, learner=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Sessions with seats --------------------------------------------------------------------------


class SeatedSessionCollectionApi(SessionCollectionApi):
    """The session list (see `scheduling.api`), each session with its seats: one query more
    for the page, whatever its size."""

    serializer_class = SessionWithSeatsOutput

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        sessions: list[Session] = list(page if page is not None else queryset)
        context = {
            **self.get_serializer_context(),
            "seats": seats_by_session(sessions),
            "now": timezone.now(),
        }
        data = SessionWithSeatsOutput(sessions, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class SeatedSessionDetailApi(SessionDetailApi):
    """One session (see `scheduling.api`) with its seats."""

    @extend_schema(responses={200: SessionWithSeatsOutput})
    def get(self, request: Request, pk: int) -> Response:
        session = self.session(pk)
        context = {
            **self.output_context(),
            "seats": {session.pk: seats_for(session)},
            "now": timezone.now(),
        }
        return Response(SessionWithSeatsOutput(session, context=context).data)


# --- What goes out in the next 48 hours -----------------------------------------------------------


class MessagePreviewApi(PolicyMixin, APIView):
    """The reminders due in the next 48 hours (part of the notification ledger). Lives here
    because the reminder schedule is attendance's; notifications knows no sessions."""

    policy_resource = "ledger"
    policy_actions = {"GET": "list"}

    @extend_schema(
        parameters=[MessagePreviewQuery], responses={200: MessagePreviewOutput(many=True)}
    )
    def get(self, request: Request) -> Response:
        hours = validated(MessagePreviewQuery, request.query_params).get("hours", PREVIEW_HOURS)
        return Response(MessagePreviewOutput(messages_preview(hours=hours), many=True).data)
