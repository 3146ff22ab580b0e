"""REST API for instructor profiles and their qualifications, working hours, unavailability.

Coordinators manage them; auditors read them; an instructor reads their own profile and its
parts (scope "own" in tms/permissions.py: anyone else's is not found).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from instructors import selectors, services
from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from instructors.serializers import (
    InstructorInput,
    InstructorOutput,
    InstructorUpdateInput,
    QualificationInput,
    QualificationOutput,
    QualificationUpdateInput,
    UnavailabilityInput,
    UnavailabilityOutput,
    WorkingHoursInput,
    WorkingHoursOutput,
)
from tms.api import PolicyMixin

COLLECTION = {"GET": "list", "POST": "create"}
DETAIL = {"GET": "retrieve", "PATCH": "update", "DELETE": "delete"}


class InstructorPolicyMixin(PolicyMixin):
    """Profiles and their parts belong to the instructor's user."""

    def policy_owns(self, obj: Any) -> bool:
        person = obj if isinstance(obj, Instructor) else obj.instructor
        return bool(person.user_id == self.request.user.pk)

    def visible_instructors(self) -> QuerySet[Instructor]:
        return selectors.instructor_list(user=self.request.user, scope=self.policy_scope)

    def instructor(self, pk: int) -> Instructor:
        return self.get_visible(self.visible_instructors(), pk=pk)

    def is_schema_generation(self) -> bool:
        return bool(getattr(self, "swagger_fake_view", False))


# --- Profiles ---------------------------------------------------------------------------------


class InstructorCollectionApi(InstructorPolicyMixin, generics.ListAPIView):
    policy_resource = "instructor"
    policy_actions = COLLECTION
    serializer_class = InstructorOutput

    def get_queryset(self) -> QuerySet[Instructor]:
        if self.is_schema_generation():
            return Instructor.objects.none()
        return self.visible_instructors()

    @extend_schema(request=InstructorInput, responses={201: InstructorOutput})
    def post(self, request: Request) -> Response:
        person = services.instructor_create(**self.validated(InstructorInput))
        return Response(
            InstructorOutput(self.instructor(person.pk)).data, status=status.HTTP_201_CREATED
        )


class InstructorDetailApi(InstructorPolicyMixin, APIView):
    policy_resource = "instructor"
    policy_actions = DETAIL

    @extend_schema(responses={200: InstructorOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(InstructorOutput(self.instructor(pk)).data)

    @extend_schema(request=InstructorUpdateInput, responses={200: InstructorOutput})
    def patch(self, request: Request, pk: int) -> Response:
        person = self.instructor(pk)
        changes = self.validated(InstructorUpdateInput, partial=True)
        services.instructor_update(instructor_id=person.pk, changes=changes)
        return Response(InstructorOutput(self.instructor(pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.instructor_delete(instructor_id=self.instructor(pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Qualifications ---------------------------------------------------------------------------


class QualificationCollectionApi(InstructorPolicyMixin, generics.ListAPIView):
    policy_resource = "qualification"
    policy_actions = COLLECTION
    serializer_class = QualificationOutput

    def get_queryset(self) -> QuerySet[Qualification]:
        if self.is_schema_generation():
            return Qualification.objects.none()
        return selectors.qualification_list(
            instructor=self.instructor(self.kwargs["instructor_pk"])
        )

    @extend_schema(request=QualificationInput, responses={201: QualificationOutput})
    def post(self, request: Request, instructor_pk: int) -> Response:
        person = self.instructor(instructor_pk)
        qualification = services.qualification_create(
            instructor=person, **self.validated(QualificationInput)
        )
        return Response(QualificationOutput(qualification).data, status=status.HTTP_201_CREATED)


class QualificationDetailApi(InstructorPolicyMixin, APIView):
    policy_resource = "qualification"
    policy_actions = DETAIL

    def qualification(self, instructor_pk: int, pk: int) -> Qualification:
        person = self.instructor(instructor_pk)
        return self.get_visible(selectors.qualification_list(instructor=person), pk=pk)

    @extend_schema(responses={200: QualificationOutput})
    def get(self, request: Request, instructor_pk: int, pk: int) -> Response:
        return Response(QualificationOutput(self.qualification(instructor_pk, pk)).data)

    @extend_schema(request=QualificationUpdateInput, responses={200: QualificationOutput})
    def patch(self, request: Request, instructor_pk: int, pk: int) -> Response:
        qualification = self.qualification(instructor_pk, pk)
        changes = self.validated(QualificationUpdateInput, partial=True)
        qualification = services.qualification_update(
            qualification_id=qualification.pk, changes=changes
        )
        return Response(QualificationOutput(qualification).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, instructor_pk: int, pk: int) -> Response:
        services.qualification_delete(qualification_id=self.qualification(instructor_pk, pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Working hours ----------------------------------------------------------------------------


class WorkingHoursCollectionApi(InstructorPolicyMixin, generics.ListAPIView):
    policy_resource = "working_hours"
    policy_actions = COLLECTION
    serializer_class = WorkingHoursOutput

    def get_queryset(self) -> QuerySet[WorkingHours]:
        if self.is_schema_generation():
            return WorkingHours.objects.none()
        return selectors.working_hours_list(
            instructor=self.instructor(self.kwargs["instructor_pk"])
        )

    @extend_schema(request=WorkingHoursInput, responses={201: WorkingHoursOutput})
    def post(self, request: Request, instructor_pk: int) -> Response:
        person = self.instructor(instructor_pk)
        hours = services.working_hours_create(
            instructor=person, **self.validated(WorkingHoursInput)
        )
        return Response(WorkingHoursOutput(hours).data, status=status.HTTP_201_CREATED)


class WorkingHoursDetailApi(InstructorPolicyMixin, APIView):
    policy_resource = "working_hours"
    policy_actions = DETAIL

    def working_hours(self, instructor_pk: int, pk: int) -> WorkingHours:
        person = self.instructor(instructor_pk)
        return self.get_visible(selectors.working_hours_list(instructor=person), pk=pk)

    @extend_schema(responses={200: WorkingHoursOutput})
    def get(self, request: Request, instructor_pk: int, pk: int) -> Response:
        return Response(WorkingHoursOutput(self.working_hours(instructor_pk, pk)).data)

    @extend_schema(request=WorkingHoursInput, responses={200: WorkingHoursOutput})
    def patch(self, request: Request, instructor_pk: int, pk: int) -> Response:
        hours = self.working_hours(instructor_pk, pk)
        changes = self.validated(WorkingHoursInput, partial=True)
        hours = services.working_hours_update(working_hours_id=hours.pk, changes=changes)
        return Response(WorkingHoursOutput(hours).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, instructor_pk: int, pk: int) -> Response:
        services.working_hours_delete(working_hours_id=self.working_hours(instructor_pk, pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Unavailability ---------------------------------------------------------------------------


class UnavailabilityCollectionApi(InstructorPolicyMixin, generics.ListAPIView):
    policy_resource = "unavailability"
    policy_actions = COLLECTION
    serializer_class = UnavailabilityOutput

    def get_queryset(self) -> QuerySet[Unavailability]:
        if self.is_schema_generation():
            return Unavailability.objects.none()
        return selectors.unavailability_list(
            instructor=self.instructor(self.kwargs["instructor_pk"])
        )

    @extend_schema(request=UnavailabilityInput, responses={201: UnavailabilityOutput})
    def post(self, request: Request, instructor_pk: int) -> Response:
        person = self.instructor(instructor_pk)
        absence = services.unavailability_create(
            instructor=person, **self.validated(UnavailabilityInput)
        )
        return Response(UnavailabilityOutput(absence).data, status=status.HTTP_201_CREATED)


class UnavailabilityDetailApi(InstructorPolicyMixin, APIView):
    policy_resource = "unavailability"
    policy_actions = DETAIL

    def unavailability(self, instructor_pk: int, pk: int) -> Unavailability:
        person = self.instructor(instructor_pk)
        return self.get_visible(selectors.unavailability_list(instructor=person), pk=pk)

    @extend_schema(responses={200: UnavailabilityOutput})
    def get(self, request: Request, instructor_pk: int, pk: int) -> Response:
        return Response(UnavailabilityOutput(self.unavailability(instructor_pk, pk)).data)

    @extend_schema(request=UnavailabilityInput, responses={200: UnavailabilityOutput})
    def patch(self, request: Request, instructor_pk: int, pk: int) -> Response:
        absence = self.unavailability(instructor_pk, pk)
        changes = self.validated(UnavailabilityInput, partial=True)
        absence = services.unavailability_update(unavailability_id=absence.pk, changes=changes)
        return Response(UnavailabilityOutput(absence).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, instructor_pk: int, pk: int) -> Response:
        services.unavailability_delete(unavailability_id=self.unavailability(instructor_pk, pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
