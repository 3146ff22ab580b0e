"""REST API for exports: request one (201, streamed or for the worker), list and read records
(status, progress), download the file, fetch the manifest."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.exports import services
from compliance.exports.datasets import DATASETS
from compliance.exports.filters import ExportFilters
from compliance.exports.manifest import file_name
from compliance.exports.selectors import export_list_for
from compliance.exports.views import download_response, manifest_response
from compliance.models import ExportRecord
from instructors.models import Instructor
from scheduling.models import Course, Session
from tms.api import PolicyMixin
from venues.models import Site

MAX_ID = 2**63 - 1
_ID_MODELS: dict[str, Any] = {
    "course": Course,
    "site": Site,
    "instructor": Instructor,
    "session": Session,
}


def _id_field(label: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text=label
    )


class ExportCreateInput(serializers.Serializer):
    dataset = serializers.ChoiceField(choices=sorted(DATASETS))
    format = serializers.ChoiceField(choices=["csv", "xlsx", "pdf"])
    date_from = serializers.DateField(required=False, allow_null=True, help_text="UTC date")
    date_to = serializers.DateField(required=False, allow_null=True, help_text="UTC date")
    course = _id_field("Course id")
    site = _id_field("Site id")
    instructor = _id_field("Instructor id")
    learner = _id_field("Learner (user) id; learners always get their own")
    session = _id_field("Session id (the sign-in sheet needs one)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        models: dict[str, type[Model]] = {**_ID_MODELS, "learner": get_user_model()}
        for name, model in models.items():
            value = attrs.get(name)
            if value is not None and not model._default_manager.filter(pk=value).exists():
                errors[name] = [str(_("No such object."))]
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            errors["date_to"] = [str(_("The end date is before the start date."))]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ExportOutput(serializers.ModelSerializer):
    file_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    manifest_url = serializers.SerializerMethodField()
    requested_by = serializers.CharField(source="requested_by.username")

    class Meta:
        model = ExportRecord
        fields = [
            "id",
            "dataset",
            "file_format",
            "filters",
            "mode",
            "status",
            "requested_by",
            "created_at",
            "expected_rows",
            "rows_written",
            "row_count",
            "sha256",
            "generated_at",
            "expires_at",
            "file_name",
            "download_url",
            "manifest_url",
        ]

    def get_file_name(self, record: ExportRecord) -> str:
        return file_name(record)

    def get_download_url(self, record: ExportRecord) -> str:
        return reverse("api:compliance:export-download", args=[record.pk])

    def get_manifest_url(self, record: ExportRecord) -> str:
        return reverse("api:compliance:export-manifest", args=[record.pk])


class _ExportRecords(PolicyMixin):
    policy_resource = "export"

    def policy_owns(self, obj: ExportRecord) -> bool:
        return bool(obj.requested_by_id == self.request.user.pk)  # type: ignore[attr-defined]

    def records(self) -> QuerySet[ExportRecord]:
        if getattr(self, "swagger_fake_view", False):
            return ExportRecord.objects.none()
        return export_list_for(self.request.user, self.policy_scope)  # type: ignore[attr-defined]


class ExportCollectionApi(_ExportRecords, generics.ListAPIView):
    """GET: the exports one may see (everyone's for auditors and coordinators, one's own for
    learners), newest first. POST: request an export; over EXPORT_STREAM_MAX_ROWS rows it is
    queued for the worker (`mode: worker`), otherwise `download_url` streams it once."""

    policy_actions = {"GET": "list", "POST": "create"}
    serializer_class = ExportOutput
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ExportRecord]:
        return self.records()

    @extend_schema(request=ExportCreateInput, responses={201: ExportOutput})
    def post(self, request: Request) -> Response:
        data = self.validated(ExportCreateInput)
        filters = ExportFilters(**{k: v for k, v in data.items() if k not in ("dataset", "format")})
        record = services.export_request(
            user=request.user,  # type: ignore[arg-type]
            scope=self.policy_scope,  # type: ignore[attr-defined]
            dataset=data["dataset"],
            file_format=data["format"],
            filters=filters,
            now=timezone.now(),
        )
        return Response(ExportOutput(record).data, status=status.HTTP_201_CREATED)


class ExportDetailApi(_ExportRecords, APIView):
    """One export: its status, progress (rows written of expected) and, when ready, hash."""

    policy_actions = {"GET": "retrieve"}

    @extend_schema(responses={200: ExportOutput})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ExportOutput(self.get_visible(self.records(), pk=pk)).data)


class ExportDownloadApi(_ExportRecords, APIView):
    """The file: a streamed export streams once (409 after that); a worker export's file while
    it is kept (409 before it is ready and after it expired)."""

    policy_actions = {"GET": "retrieve"}

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return download_response(self.get_visible(self.records(), pk=pk), by=request.user)


class ExportManifestApi(_ExportRecords, APIView):
    """The manifest of a finished export (409 before): filters, row count, generated at and
    by, the audit-log head at generation time (null until the audit log is wired), SHA-256."""

    policy_actions = {"GET": "retrieve"}

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return manifest_response(self.get_visible(self.records(), pk=pk), by=request.user)
