"""Export pages and API: who may use which, the auditor's round trip (form → file →
manifest whose hash is the file's), the worker's progress page, bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from unittest import mock

import pytest
from django.urls import reverse

from compliance.exports.services import RUN_EXPORT_TASK
from compliance.models import AuditEntry, ExportMode, ExportRecord, ExportStatus
from compliance.tasks import run_export
from tests.compliance.world import build_world
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "auditor", "instructor", "learner", "outsider"]


@pytest.fixture
def persona(coordinator, auditor, instructor, learner, outsider):  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "instructor": instructor.user,
        "learner": learner,
        "outsider": outsider,
    }


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    # The test client closes a streamed response once its content is read to the end.
    return b"".join(response.streaming_content) if response.streaming else response.content


def _request(client, dataset="attendance", fmt="csv", **filters):  # type: ignore[no-untyped-def]
    data = {"dataset": dataset, "format": fmt, **filters}
    return client.post(reverse("compliance:export-create"), data)


@pytest.mark.parametrize("who", PERSONAS)
def test_each_role_gets_exactly_the_export_pages_it_may(who, persona, page_client, schedule):
    build_world(schedule)
    client = page_client(persona[who])
    home = client.get(reverse("compliance:export-home"))
    allowed = who in {"coordinator", "auditor", "learner"}
    assert home.status_code == (200 if allowed else 403)
    created = _request(client, dataset="transcript")
    assert created.status_code == (302 if allowed else 403)
    if not allowed:
        assert ExportRecord.objects.count() == 0
        return
    record = ExportRecord.objects.get()
    for name in ("export-detail", "export-progress", "export-download"):
        response = client.get(reverse(f"compliance:{name}", args=[record.pk]))
        assert response.status_code == 200
        _body(response)  # a streamed file is made (and its record finished) as it is read
    assert client.get(reverse("compliance:export-manifest", args=[record.pk])).status_code == 200


def test_a_learner_sees_only_the_transcript_form_and_only_their_own_exports(
    page_client, learner, auditor, schedule
):
    build_world(schedule)
    auditors = page_client(auditor)
    _request(auditors)
    theirs = ExportRecord.objects.get()
    client = page_client(learner)
    page = client.get(reverse("compliance:export-home"))
    assert [f.export_dataset.name for f in page.context["forms"]] == ["transcript"]
    assert "learner" not in page.context["forms"][0].fields
    html = page.content.decode()
    assert '<h2 id="export-transcript-heading">Training transcripts</h2>' in html
    assert "Attendance records" not in html
    assert list(page.context["records"]) == []
    assert client.get(reverse("compliance:export-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("compliance:export-download", args=[theirs.pk])).status_code == 404
    assert _request(client, dataset="attendance").status_code == 404
    assert ExportRecord.objects.count() == 1


def test_the_auditor_downloads_the_file_and_a_manifest_matching_it(page_client, auditor, schedule):
    build_world(schedule)
    client = page_client(auditor)
    home = client.get(reverse("compliance:export-home"))
    assert inline_code_in(home.content.decode()) == []
    created = _request(client, date_from="2030-03-04", date_to="2030-03-05")
    record = ExportRecord.objects.get()
    assert created["Location"] == reverse("compliance:export-detail", args=[record.pk])
    detail = client.get(created["Location"])
    html = detail.content.decode()
    assert inline_code_in(html) == []
    assert reverse("compliance:export-download", args=[record.pk]) in html
    assert reverse("compliance:export-manifest", args=[record.pk]) not in html  # not yet

    response = client.get(reverse("compliance:export-download", args=[record.pk]))
    assert response.streaming
    assert (
        response["Content-Disposition"] == f'attachment; filename="tms-attendance-{record.pk}.csv"'
    )
    data = _body(response)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))

    detail = client.get(reverse("compliance:export-detail", args=[record.pk])).content.decode()
    assert reverse("compliance:export-manifest", args=[record.pk]) in detail
    assert hashlib.sha256(data).hexdigest() in detail
    manifest_response = client.get(reverse("compliance:export-manifest", args=[record.pk]))
    assert manifest_response["Content-Disposition"].endswith('.csv.manifest.json"')
    manifest = json.loads(manifest_response.content)
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["row_count"] == len(rows) - 1 == 4
    assert manifest["filters"] == {"date_from": "2030-03-04", "date_to": "2030-03-05"}
    assert manifest["generated_by"]["username"] == "auditor"
    # A second download of the same streamed export is refused (one record, one file).
    again = client.get(reverse("compliance:export-download", args=[record.pk]))
    assert again.status_code == 409
    assert "already downloaded" in again.content.decode()


def test_bad_filters_come_back_as_form_errors(page_client, auditor):
    client = page_client(auditor)
    response = _request(client, date_from="2030-03-05", date_to="2030-03-04")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    response = _request(client, course="987654")
    assert response.status_code == 400
    response = _request(client, dataset="sign_in_sheet", fmt="pdf")
    assert response.status_code == 400
    response = _request(client, fmt="pdf")
    assert response.status_code == 400
    assert ExportRecord.objects.count() == 0


def test_a_large_export_shows_progress_then_the_download(
    page_client, auditor, schedule, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_DIR = tmp_path
    settings.EXPORT_STREAM_MAX_ROWS = 2
    build_world(schedule)
    client = page_client(auditor)
    with (
        mock.patch("tms.celery.enqueue_safely") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _request(client, fmt="xlsx")
    # Queued once, after the commit (the worker runs it below).
    assert [call.args[0].task for call in queued.call_args_list] == [RUN_EXPORT_TASK]
    record = ExportRecord.objects.get()
    assert record.mode == ExportMode.WORKER
    progress_url = reverse("compliance:export-progress", args=[record.pk])
    waiting = client.get(progress_url).content.decode()
    assert "<progress" in waiting
    assert "0 of 4 rows written" in waiting
    assert f'hx-get="{progress_url}"' in waiting  # keeps polling
    assert reverse("compliance:export-download", args=[record.pk]) not in waiting

    run_export(record.pk)
    done = client.get(progress_url).content.decode()
    assert "hx-get" not in done  # stops polling
    assert "<progress" not in done
    download = client.get(reverse("compliance:export-download", args=[record.pk]))
    assert download.status_code == 200
    data = _body(download)
    record.refresh_from_db()
    assert record.status == ExportStatus.READY
    assert hashlib.sha256(data).hexdigest() == record.sha256
    # Kept until the sweep: a worker export may be downloaded again.
    again = client.get(reverse("compliance:export-download", args=[record.pk]))
    assert again.status_code == 200
    assert hashlib.sha256(_body(again)).hexdigest() == record.sha256
    manifest = client.get(reverse("compliance:export-manifest", args=[record.pk]))
    assert manifest.status_code == 200
    # Every download of the file and of the manifest is on record, and in the audit log.
    assert [(d.kind, d.downloaded_by) for d in record.downloads.order_by("pk")] == [
        ("file", auditor),
        ("file", auditor),
        ("manifest", auditor),
    ]
    logged = AuditEntry.objects.filter(table_name="compliance_exportdownload")
    assert sorted(logged.values_list("user_id", flat=True)) == [auditor.pk] * 3


# --- API --------------------------------------------------------------------------------------


def test_the_api_creates_downloads_and_serves_the_manifest(client_for, auditor, schedule):
    build_world(schedule)
    api = client_for(auditor)
    created = api.post(
        reverse("api:compliance:export-list"),
        {"dataset": "attendance", "format": "csv", "date_from": "2030-03-04"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["mode"] == "stream"
    assert body["status"] == "pending"
    early = api.get(body["manifest_url"])
    assert early.status_code == 409
    download = api.get(body["download_url"])
    data = b"".join(download.streaming_content)
    manifest = api.get(body["manifest_url"]).json()
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["row_count"] == 4
    detail = api.get(reverse("api:compliance:export-detail", args=[body["id"]])).json()
    assert detail["status"] == "ready"
    assert detail["sha256"] == manifest["sha256"]


def test_the_api_refuses_bad_input_with_field_messages(client_for, auditor):
    api = client_for(auditor)
    url = reverse("api:compliance:export-list")
    response = api.post(url, {"dataset": "nope", "format": "csv"}, format="json")
    assert response.status_code == 400
    assert "dataset" in response.json()["fields"]
    response = api.post(
        url, {"dataset": "attendance", "format": "csv", "course": 987654}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"course": ["No such object."]}
    response = api.post(url, {"dataset": "attendance", "format": "pdf"}, format="json")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


def test_the_api_gives_learners_their_own_transcript_only(client_for, schedule):
    world = build_world(schedule)
    ada, bob = world.learners
    api = client_for(ada)
    url = reverse("api:compliance:export-list")
    refused = api.post(url, {"dataset": "attendance", "format": "csv"}, format="json")
    assert refused.status_code == 400
    created = api.post(
        url, {"dataset": "transcript", "format": "csv", "learner": bob.pk}, format="json"
    ).json()
    assert created["filters"] == {"learner": ada.pk}
    download = api.get(created["download_url"])
    assert download.status_code == 200, download.content
    data = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "ada" in data
    assert "bob" not in data
    assert [r["id"] for r in api.get(url).json()["results"]] == [created["id"]]
