"""Input and output shapes of the certification and compliance API. Inputs check shape only;
services save."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework import serializers

from compliance.matrix import MatrixStatus
from compliance.models import AudienceKind, Certification, LearnerCertification, Requirement
from scheduling.models import Course
from tms.api import EnumField, id_field, related

# --- Output ------------------------------------------------------------------------------------


class CertificationOutput(serializers.ModelSerializer):
    courses = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Certification
        fields = ["id", "code", "name", "description", "valid_months", "courses"]


class LearnerCertificationOutput(serializers.ModelSerializer):
    certification = CertificationOutput(read_only=True)
    learner = serializers.IntegerField(source="learner_id", read_only=True)
    learner_name = serializers.SerializerMethodField()
    completion = serializers.IntegerField(source="completion_id", read_only=True)
    registration = serializers.IntegerField(source="completion.registration_id", read_only=True)
    session = serializers.IntegerField(source="completion.registration.session_id", read_only=True)
    superseded_by = serializers.IntegerField(
        source="superseded_by_id", read_only=True, allow_null=True
    )

    class Meta:
        model = LearnerCertification
        fields = [
            "id",
            "number",
            "learner",
            "learner_name",
            "certification",
            "issued_at",
            "expires_at",
            "current",
            "superseded_by",
            "completion",
            "registration",
            "session",
        ]

    def get_learner_name(self, obj: LearnerCertification) -> str:
        return obj.learner.get_full_name() or obj.learner.get_username()


class RequirementOutput(serializers.ModelSerializer):
    certifications = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    learners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    group = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "name",
            "description",
            "certifications",
            "audience",
            "group",
            "department",
            "learners",
            "expiring_soon_days",
        ]


class MatrixRowOutput(serializers.Serializer):
    requirement_id = serializers.IntegerField()
    requirement_name = serializers.CharField()
    learner_id = serializers.IntegerField()
    learner_name = serializers.CharField()
    learner_email = serializers.CharField()
    department = serializers.CharField()
    certification_id = serializers.IntegerField()
    certification_code = serializers.CharField()
    certification_name = serializers.CharField()
    status = EnumField(MatrixStatus.choices, enum_name="ComplianceStatus")
    certificate_id = serializers.IntegerField(allow_null=True)
    certificate_number = serializers.CharField()
    issued_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    completion_id = serializers.IntegerField(allow_null=True)
    registration_id = serializers.IntegerField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True)
    course_code = serializers.CharField()
    course_title = serializers.CharField()


# --- Input -------------------------------------------------------------------------------------


class CertificationInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    valid_months = serializers.IntegerField(
        min_value=1, max_value=600, allow_null=True, required=False
    )
    courses = related(Course.objects.all(), many=True, required=False)


class RequirementInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    certifications = related(Certification.objects.all(), many=True)
    audience = EnumField(AudienceKind.choices, enum_name="RequirementAudience")
    group = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), allow_null=True, required=False
    )
    department = serializers.CharField(max_length=200, allow_blank=True, required=False)
    learners = related(get_user_model().objects.filter(is_active=True), many=True, required=False)
    expiring_soon_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)


class MatrixFilterInput(serializers.Serializer):
    requirement = id_field(required=False)
    department = serializers.CharField(max_length=200, allow_blank=True, required=False)
    status = EnumField(MatrixStatus.choices, enum_name="ComplianceStatus", required=False)
