"""REST API for certifications, certificates, requirements and the compliance matrix.

Thin views: the policy table (tms/permissions.py) decides who; selectors decide which rows
(learners: their own certificates and their own matrix rows); one service call per write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import selectors
from compliance.matrix import MatrixStatus, matrix_rows
from compliance.models import Certification, LearnerCertification, Requirement
from compliance.serializers import (
    CertificationInput,
    CertificationOutput,
    LearnerCertificationOutput,
    MatrixFilterInput,
    MatrixRowOutput,
    RequirementInput,
    RequirementOutput,
)
from compliance.services import certifications as services
from tms.api import PolicyMixin, validated
from tms.permissions import Scope

COLLECTION = {"GET": "list", "POST": "create"}
DETAIL = {"GET": "retrieve", "PATCH": "update", "DELETE": "delete"}


class CertificationCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "certification"
    policy_actions = COLLECTION
    serializer_class = CertificationOutput

    def get_queryset(self) -> QuerySet[Certification]:
        return selectors.certification_list()

    @extend_schema(request=CertificationInput, responses={201: CertificationOutput})
    def post(self, request: Request) -> Response:
        certification = services.certification_create(**self.validated(CertificationInput))
        return Response(CertificationOutput(certification).data, status=status.HTTP_201_CREATED)


class CertificationDetailApi(PolicyMixin, APIView):
    policy_resource = "certification"
    policy_actions = DETAIL

    @extend_schema(responses={200: CertificationOutput})
    def get(self, request: Request, pk: int) -> Response:
        certification = self.get_visible(selectors.certification_list(), pk=pk)
        return Response(CertificationOutput(certification).data)

    @extend_schema(request=CertificationInput, responses={200: CertificationOutput})
    def patch(self, request: Request, pk: int) -> Response:
        certification = self.get_visible(selectors.certification_list(), pk=pk)
        changes = self.validated(CertificationInput, partial=True)
        certification = services.certification_update(
            certification_id=certification.pk, changes=changes
        )
        return Response(CertificationOutput(certification).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        certification = self.get_visible(selectors.certification_list(), pk=pk)
        services.certification_delete(certification_id=certification.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LearnerCertificationPolicyMixin(PolicyMixin):
    def policy_owns(self, obj: Any) -> bool:
        return bool(obj.learner_id == self.request.user.pk)


class LearnerCertificationListApi(LearnerCertificationPolicyMixin, generics.ListAPIView):
    """Issued certificates, newest first (learners: their own), with superseded history."""

    policy_resource = "learner_certification"
    policy_actions = {"GET": "list"}
    serializer_class = LearnerCertificationOutput

    def get_queryset(self) -> QuerySet[LearnerCertification]:
        if getattr(self, "swagger_fake_view", False):
            return LearnerCertification.objects.none()
        return selectors.learner_certification_list(self.request.user).filter(
            revoked_at__isnull=True
        )


class LearnerCertificationDetailApi(LearnerCertificationPolicyMixin, APIView):
    policy_resource = "learner_certification"
    policy_actions = {"GET": "retrieve"}

    @extend_schema(responses={200: LearnerCertificationOutput})
    def get(self, request: Request, pk: int) -> Response:
        rows = selectors.learner_certification_list(request.user, action="retrieve")
        certificate = self.get_visible(rows.filter(revoked_at__isnull=True), pk=pk)
        return Response(LearnerCertificationOutput(certificate).data)


class RequirementCollectionApi(PolicyMixin, generics.ListAPIView):
    policy_resource = "requirement"
    policy_actions = COLLECTION
    serializer_class = RequirementOutput

    def get_queryset(self) -> QuerySet[Requirement]:
        return selectors.requirement_list()

    @extend_schema(request=RequirementInput, responses={201: RequirementOutput})
    def post(self, request: Request) -> Response:
        requirement = services.requirement_create(**self.validated(RequirementInput))
        return Response(RequirementOutput(requirement).data, status=status.HTTP_201_CREATED)


class RequirementDetailApi(PolicyMixin, APIView):
    policy_resource = "requirement"
    policy_actions = DETAIL

    @extend_schema(responses={200: RequirementOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            RequirementOutput(self.get_visible(selectors.requirement_list(), pk=pk)).data
        )

    @extend_schema(request=RequirementInput, responses={200: RequirementOutput})
    def patch(self, request: Request, pk: int) -> Response:
        requirement = self.get_visible(selectors.requirement_list(), pk=pk)
        changes = self.validated(RequirementInput, partial=True)
        requirement = services.requirement_update(requirement_id=requirement.pk, changes=changes)
        return Response(RequirementOutput(requirement).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        requirement = self.get_visible(selectors.requirement_list(), pk=pk)
        services.requirement_delete(requirement_id=requirement.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ComplianceMatrixApi(PolicyMixin, APIView):
    """The compliance matrix as rows (one per requirement, person and certification).
    Learners get their own rows only."""

    policy_resource = "compliance_matrix"
    policy_actions = {"GET": "retrieve"}

    @extend_schema(
        parameters=[
            OpenApiParameter("requirement", int, description="A requirement's id."),
            OpenApiParameter("department", str, description="The person's department."),
            OpenApiParameter("status", str, enum=MatrixStatus.values),
        ],
        responses={200: MatrixRowOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = validated(MatrixFilterInput, request.query_params)
        requirement = filters.get("requirement")
        rows = matrix_rows(
            requirement_ids=[requirement] if requirement is not None else None,
            department=filters.get("department", ""),
            status=filters.get("status", ""),
            learner_id=request.user.pk if self.policy_scope != Scope.ALL else None,
        )
        return Response(MatrixRowOutput([row.as_dict() for row in rows], many=True).data)
