"""Export pages: the exports home (a form per dataset, recent exports), the export's page
(download, manifest, the worker's progress), its progress partial (htmx), the download and the
manifest. Thin: the form validates the shape, the service decides."""

from __future__ import annotations

import json
from typing import Any

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from compliance.exports import services
from compliance.exports.datasets import DATASETS, Dataset
from compliance.exports.filters import ExportRequestForm
from compliance.exports.manifest import file_name, manifest_for
from compliance.exports.selectors import export_get_for, export_list_for
from compliance.models import ExportDownloadKind, ExportMode, ExportRecord, ExportStatus
from tms.exceptions import DomainError
from tms.permissions import Scope
from tms.views import policy_required, scope_for, viewer_zone

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
RECENT = 20


def _datasets_for(scope: Scope | None) -> list[Dataset]:
    if scope == Scope.ALL:
        return list(DATASETS.values())
    return [DATASETS["transcript"]] if scope is not None else []


def _forms(request: HttpRequest, bound: ExportRequestForm | None = None) -> list[Any]:
    scope = scope_for(request.user, "export", "create")
    forms = []
    for dataset in _datasets_for(scope):
        if bound is not None and bound.export_dataset is dataset:
            forms.append(bound)
        else:
            forms.append(ExportRequestForm(dataset=dataset, own_only=scope != Scope.ALL))
    return forms


def _home(request: HttpRequest, bound: ExportRequestForm | None = None) -> HttpResponse:
    scope = scope_for(request.user, "export", "list")
    context = {
        "forms": _forms(request, bound),
        "own_only": scope_for(request.user, "export", "create") != Scope.ALL,
        "records": export_list_for(request.user, scope)[:RECENT],
        "viewer_zone": viewer_zone(request),
    }
    return render(
        request, "compliance/exports/home.html", context, status=400 if bound is not None else 200
    )


@require_GET
@policy_required("export", "list")
def export_home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@require_POST
@policy_required("export", "create")
def export_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user, "export", "create")
    dataset = DATASETS.get(request.POST.get("dataset", ""))
    if dataset is None or dataset not in _datasets_for(scope):
        raise Http404
    form = ExportRequestForm(request.POST, dataset=dataset, own_only=scope != Scope.ALL)
    if not form.is_valid():
        return _home(request, form)
    try:
        record = services.export_request(
            user=request.user,  # type: ignore[arg-type]
            scope=scope,
            dataset=dataset.name,
            file_format=form.cleaned_data["format"],
            filters=form.filters(),
            now=timezone.now(),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _home(request, form)
    return redirect("compliance:export-detail", pk=record.pk)


def _record(request: HttpRequest, pk: int) -> ExportRecord:
    record = export_get_for(
        request.user,  # type: ignore[arg-type]
        scope_for(request.user, "export", "retrieve"),
        pk,
    )
    if record is None:
        raise Http404
    return record


def _detail_context(request: HttpRequest, record: ExportRecord) -> dict[str, Any]:
    dataset = DATASETS.get(record.dataset)
    return {
        "record": record,
        "dataset": dataset,
        "file_name": file_name(record),
        "finished": record.status in (ExportStatus.READY, ExportStatus.EXPIRED),
        "downloadable": (
            record.status == ExportStatus.PENDING
            if record.mode == ExportMode.STREAM
            else record.status == ExportStatus.READY
        ),
        "polling": record.status in (ExportStatus.PENDING, ExportStatus.RUNNING),
        "percent": (
            min(100, round(100 * record.rows_written / record.expected_rows))
            if record.expected_rows
            else 0
        ),
        "viewer_zone": viewer_zone(request),
    }


@require_GET
@policy_required("export", "retrieve")
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    return render(request, "compliance/exports/detail.html", _detail_context(request, record))


@require_GET
@policy_required("export", "retrieve")
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    return render(
        request, "compliance/exports/partials/progress.html", _detail_context(request, record)
    )


def download_response(record: ExportRecord, *, by: Any) -> HttpResponse | StreamingHttpResponse:
    """The export's file: streamed (claimed once) or the worker's file, each download on
    record (who, when). Shared by the page and the API."""
    name = file_name(record)
    if record.mode == ExportMode.STREAM:
        now = timezone.now()
        claimed = services.export_claim_stream(record_id=record.pk, now=now)
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            services.export_stream(claimed, now=now), content_type=CONTENT_TYPES[record.file_format]
        )
    else:
        path = services.export_file(record)
        response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[record.file_format])
    services.export_download_record(
        record=record, by=by, kind=ExportDownloadKind.FILE, now=timezone.now()
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Id"] = str(record.pk)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@policy_required("export", "retrieve")
def export_download(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    record = _record(request, pk)
    try:
        return download_response(record, by=request.user)
    except DomainError as error:
        context = {**_detail_context(request, record), "error": error.message}
        return render(request, "compliance/exports/detail.html", context, status=409)


def manifest_response(record: ExportRecord, *, by: Any) -> HttpResponse:
    if record.status not in (ExportStatus.READY, ExportStatus.EXPIRED):
        raise services.ExportNotAvailable("The export is not finished yet: no manifest.")
    services.export_download_record(
        record=record, by=by, kind=ExportDownloadKind.MANIFEST, now=timezone.now()
    )
    body = json.dumps(manifest_for(record), indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(record)}.manifest.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@policy_required("export", "retrieve")
def export_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    try:
        return manifest_response(record, by=request.user)
    except DomainError as error:
        return JsonResponse({"code": error.code, "message": error.message}, status=409)
