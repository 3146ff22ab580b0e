"""API of participant reports (VILT): upload a Zoom or Teams CSV for a block, read an
import's result, and resolve a participant the import could not match. The same services as
the pages (attendance/services/participant_import.py). Only coordinators and the session's
own instructors import and resolve; auditors read."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance.access import may_use_reports
from attendance.models import ParticipantMatch, ParticipantReport, ParticipantReportEntry
from attendance.participant_report_selectors import (
    block_attendance,
    block_for_reports,
    entry_get,
    report_entries,
    report_get,
)
from attendance.services.participant_import import (
    MAX_FILE_BYTES,
    ImportResult,
    participant_entry_resolve,
    participant_report_import,
)
from scheduling.models import SessionBlock
from tms.api import MAX_ID, PolicyMixin
from tms.permissions import action_for

REASON_MAX_LENGTH = 500


class ParticipantReportUploadInput(serializers.Serializer):
    file = serializers.FileField(
        help_text="The meeting's participant report: a CSV exported by Zoom or Microsoft "
        "Teams (UTF-8, UTF-8 with BOM or UTF-16; comma, tab or semicolon separated)."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Required once the session's attendance was signed off (a late edit).",
    )

    def validate_file(self, upload: Any) -> Any:
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError("The file is too large (at most 5 MB).")
        return upload


class ParticipantResolveInput(serializers.Serializer):
    registration = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="The confirmed registration this participant is; null with ignore=true.",
    )
    ignore = serializers.BooleanField(
        required=False, default=False, help_text="Not a learner: set the participant aside."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=REASON_MAX_LENGTH)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        chosen = data.get("registration") is not None
        if chosen == bool(data.get("ignore")):
            raise serializers.ValidationError(
                {"registration": ["Give a registration, or ignore=true (not both)."]}
            )
        return data


class ParticipantReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    block_id = serializers.IntegerField()
    session_id = serializers.IntegerField(source="block.session_id")
    file_name = serializers.CharField()
    file_format = serializers.CharField()
    file_sha256 = serializers.CharField()
    row_count = serializers.IntegerField()
    imported_by = serializers.CharField(source="imported_by.username")
    imported_at = serializers.DateTimeField(source="created_at")


class ParticipantEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    lines = serializers.ListField(child=serializers.IntegerField(), help_text="Report lines.")
    minutes = serializers.IntegerField(help_text="Minutes credited inside the block.")
    match = serializers.ChoiceField(choices=ParticipantMatch.choices)
    registration_id = serializers.IntegerField(allow_null=True)
    learner = serializers.CharField(allow_null=True, source="registration.learner.username")
    resolved_by = serializers.CharField(allow_null=True, source="resolved_by.username")


class ReportAttendanceOutput(serializers.Serializer):
    registration_id = serializers.IntegerField(source="registration.pk")
    learner = serializers.CharField(source="registration.learner.username")
    status = serializers.CharField(allow_null=True, source="record.status")
    minutes_attended = serializers.IntegerField(allow_null=True, source="record.minutes_attended")
    source = serializers.CharField(allow_null=True, source="record.source")
    kept = serializers.BooleanField(help_text="Marked by hand: the report did not change it.")


class ParticipantImportOutput(serializers.Serializer):
    already_imported = serializers.BooleanField()
    message = serializers.CharField()
    report = ParticipantReportOutput()
    entries = ParticipantEntryOutput(many=True)
    attendance = ReportAttendanceOutput(many=True, help_text="The block's confirmed learners.")


def result_body(report: ParticipantReport, *, already: bool = False, message: str = "") -> Any:
    body = {
        "already_imported": already,
        "message": message,
        "report": report,
        "entries": report_entries(report),
        "attendance": block_attendance(report.block),
    }
    return ParticipantImportOutput(body).data


class ReportPolicyMixin(PolicyMixin):
    """Blocks are reached through their session: "own" is a session the caller teaches."""

    def block(self, pk: int) -> SessionBlock:
        try:
            block = block_for_reports(pk)
        except SessionBlock.DoesNotExist:
            raise NotFound() from None
        action = action_for(self, self.request.method or "")  # type: ignore[arg-type]
        if action is None or not may_use_reports(self.request.user, block.session, action):
            raise NotFound()
        return block


class ParticipantReportImportApi(ReportPolicyMixin, APIView):
    """Import a participant report for a block (multipart, field `file`). 201 with the
    result; the same file again for the block is 200 with `already_imported` and changes
    nothing; a malformed file is 400 naming the line (and column) and nothing is written."""

    policy_resource = "participant_report"
    policy_actions = {"POST": "import"}
    parser_classes = [MultiPartParser]
    # The composition root (tms/api_urls.py) passes the door that also certifies.
    importer = staticmethod(participant_report_import)

    @extend_schema(
        request={"multipart/form-data": ParticipantReportUploadInput},
        responses={201: ParticipantImportOutput, 200: ParticipantImportOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        block = self.block(pk)
        data = self.validated(ParticipantReportUploadInput)
        upload = data["file"]
        result: ImportResult = self.importer(
            block_id=block.pk,
            file_name=upload.name or "report.csv",
            data=upload.read(),
            by=request.user,
            now=timezone.now(),
            reason=data.get("reason", ""),
        )
        code = status.HTTP_200_OK if result.already_imported else status.HTTP_201_CREATED
        body = result_body(result.report, already=result.already_imported, message=result.message)
        return Response(body, status=code)


class ParticipantReportDetailApi(ReportPolicyMixin, APIView):
    """An imported report: its participants (how each was matched) and the block's
    attendance now."""

    policy_resource = "participant_report"
    policy_actions = {"GET": "retrieve"}

    @extend_schema(responses={200: ParticipantImportOutput})
    def get(self, request: Request, pk: int) -> Response:
        try:
            report = report_get(pk)
        except ParticipantReport.DoesNotExist:
            raise NotFound() from None
        self.block(report.block_id)
        return Response(result_body(report))


class ParticipantEntryResolveApi(ReportPolicyMixin, APIView):
    """Say who a participant is (a confirmed registration of the session) or ignore them
    (not a learner); the learner's attendance in the block is applied again at once."""

    policy_resource = "participant_report"
    policy_actions = {"POST": "resolve"}
    # The composition root (tms/api_urls.py) passes the door that also certifies.
    resolve = staticmethod(participant_entry_resolve)

    @extend_schema(request=ParticipantResolveInput, responses={200: ParticipantImportOutput})
    def post(self, request: Request, pk: int) -> Response:
        try:
            entry = entry_get(pk)
        except ParticipantReportEntry.DoesNotExist:
            raise NotFound() from None
        self.block(entry.report.block_id)
        data = self.validated(ParticipantResolveInput)
        self.resolve(
            entry_id=entry.pk,
            registration_id=None if data.get("ignore") else data["registration"],
            by=request.user,
            now=timezone.now(),
            reason=data.get("reason", ""),
        )
        return Response(result_body(report_get(entry.report_id)))
