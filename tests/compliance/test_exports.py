"""Exports: CSV (BOM, UTF-8, spreadsheet-safe), XLSX, the sign-in sheet PDF, times in UTC and
in the session's zone, filters, the manifest, the worker threshold and the retention sweep."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from compliance.audit import GENESIS
from compliance.exports import services
from compliance.exports.datasets import ATTENDANCE_COLUMNS, DANGEROUS_LEADS, neutralise
from compliance.exports.filters import ExportFilters
from compliance.exports.manifest import manifest_for
from compliance.models import ExportMode, ExportRecord, ExportStatus
from compliance.tasks import run_export, sweep_exports
from tests import factories
from tests.compliance.world import build_world, confirm
from tests.conftest import NOW
from tms.permissions import Scope

pytestmark = pytest.mark.django_db


def export(user, dataset="attendance", fmt="csv", scope=Scope.ALL, **filters) -> ExportRecord:
    return services.export_request(
        user=user,
        scope=scope,
        dataset=dataset,
        file_format=fmt,
        filters=ExportFilters(**filters),
        now=NOW,
    )


def download(record: ExportRecord) -> bytes:
    claimed = services.export_claim_stream(record_id=record.pk, now=NOW)
    return b"".join(services.export_stream(claimed, now=NOW))


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_is_utf8_with_a_byte_order_mark_and_names_its_columns(schedule, auditor):
    build_world(schedule)
    data = download(export(auditor))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8")
    assert "Zoë arrived late" in text
    assert text.splitlines()[0].lstrip("\ufeff").split(",") == list(ATTENDANCE_COLUMNS)
    assert len(rows_of(data)) == 4


@pytest.mark.parametrize("lead", DANGEROUS_LEADS)
def test_a_cell_starting_with_a_dangerous_character_is_neutralised(schedule, auditor, lead):
    build_world(schedule, notes=[f"{lead}1+cmd|' /C calc'!A0", "fine"])
    rows = rows_of(download(export(auditor)))
    notes = {row["notes"] for row in rows}
    assert f"'{lead}1+cmd|' /C calc'!A0" in notes
    assert "fine" in notes
    assert not any(n.startswith(DANGEROUS_LEADS) for n in notes)


def test_names_and_titles_are_neutralised_too(schedule, auditor):
    world = build_world(schedule)
    learner = world.learners[0]
    learner.first_name, learner.last_name = "@SUM(A1)", ""
    learner.save()
    world.session.course.title = "+Safety"
    world.session.course.save()
    rows = rows_of(download(export(auditor)))
    assert {r["learner_name"] for r in rows} == {"'@SUM(A1)", "Bob Ngo"}
    assert {r["course_title"] for r in rows} == {"'+Safety"}


def test_the_python_rule_is_the_same_and_numbers_are_left_alone():
    assert [neutralise(f"{c}x") for c in DANGEROUS_LEADS] == [f"'{c}x" for c in DANGEROUS_LEADS]
    assert neutralise(-5) == -5
    assert neutralise("-5") == "'-5"
    assert neutralise("5") == "5"


def test_numbers_stay_numbers(schedule, auditor):
    build_world(schedule)
    data = download(export(auditor)).decode("utf-8")
    rows = rows_of(data.encode())
    assert {r["minutes_attended"] for r in rows} == {"180", "170"}
    assert ",180," in data  # unquoted, no prefix


def test_times_are_in_utc_and_in_the_session_zone_named(schedule, auditor):
    build_world(schedule)
    rows = rows_of(download(export(auditor)))
    first, second = rows[0], rows[-1]
    assert first["block_start_utc"] == "2030-03-04T08:00:00Z"
    assert first["block_end_utc"] == "2030-03-04T11:00:00Z"
    assert first["block_start_local"] == "2030-03-04T09:00:00+01:00"
    assert second["block_start_local"] == "2030-03-05T13:30:00+01:00"
    assert {r["time_zone"] for r in rows} == {"Europe/Paris"}


def test_a_summer_block_shows_the_summer_offset(schedule, auditor, learner):
    from tests.conftest import at

    session = schedule(
        status="scheduled", blocks=[(at("2030-07-01", "09:00"), at("2030-07-01", "10:00"))]
    )
    registration = confirm(session, learner)
    from attendance.models import AttendanceRecord

    AttendanceRecord.objects.create(
        registration=registration,
        block=session.blocks.get(),
        status="present",
        source="roster",
        recorded_at=NOW,
    )
    (row,) = rows_of(download(export(auditor)))
    assert row["block_start_utc"] == "2030-07-01T07:00:00Z"
    assert row["block_start_local"] == "2030-07-01T09:00:00+02:00"


def test_attendance_rows_name_the_session_course_instructor_and_room(schedule, auditor):
    world = build_world(schedule)
    row = rows_of(download(export(auditor)))[0]
    lead = world.session.assignments.get().instructor
    block = world.session.blocks.order_by("starts_at").first()
    assert row["course_code"] == "SAFE-101"
    assert row["instructors"] == lead.display_name
    assert row["room"] == block.room.name
    assert row["site"] == block.room.site.name
    assert row["status"] == "present"
    assert row["late_edit"] == "no"


def test_xlsx_opens_with_openpyxl_and_holds_the_rows(schedule, auditor):
    build_world(schedule)
    data = download(export(auditor, fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(ATTENDANCE_COLUMNS)
    assert len(rows) == 5
    minutes = ATTENDANCE_COLUMNS.index("minutes_attended")
    notes = ATTENDANCE_COLUMNS.index("notes")
    assert {r[minutes] for r in rows[1:]} == {180, 170}  # numbers, not text
    assert '\'=HYPERLINK("http://evil")' in {r[notes] for r in rows[1:]}


def test_the_sign_in_sheet_lists_the_confirmed_learners_with_block_times(schedule, auditor):
    from pypdf import PdfReader

    world = build_world(schedule)
    cancelled = factories.UserFactory(username="gone", first_name="Cy", last_name="Gone")
    registration = confirm(world.session, cancelled)
    registration.status, registration.cancelled_at = "cancelled", NOW
    registration.save()
    record = export(auditor, dataset="sign_in_sheet", fmt="pdf", session=world.session.pk)
    data = download(record)
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Ada Lovelace" in text
    assert "Bob Ngo" in text
    assert "Cy Gone" not in text
    assert "Signature" in text
    assert "09:00 CET" in text
    assert "Europe/Paris" in text
    record.refresh_from_db()
    assert record.row_count == 2


def test_the_sign_in_sheet_needs_a_session(auditor):
    with pytest.raises(services.RuleViolation):
        export(auditor, dataset="sign_in_sheet", fmt="pdf")


def test_filters_narrow_the_rows(schedule, auditor, course):
    world = build_world(schedule)
    other_course = factories.CourseFactory(code="FIRE-1")
    ada = world.learners[0]
    assert len(rows_of(download(export(auditor, learner=ada.pk)))) == 2
    assert len(rows_of(download(export(auditor, course=other_course.pk)))) == 0
    assert len(rows_of(download(export(auditor, course=course.pk)))) == 4
    day = dt.date(2030, 3, 5)
    assert len(rows_of(download(export(auditor, date_from=day, date_to=day)))) == 2
    assert len(rows_of(download(export(auditor, date_to=dt.date(2030, 3, 3))))) == 0
    site = world.session.blocks.first().room.site
    assert len(rows_of(download(export(auditor, site=site.pk)))) == 4
    lead = world.session.assignments.get().instructor
    assert len(rows_of(download(export(auditor, instructor=lead.pk)))) == 4
    stranger = factories.InstructorFactory()
    assert len(rows_of(download(export(auditor, instructor=stranger.pk)))) == 0


def test_the_transcript_sums_each_registration(schedule, auditor):
    world = build_world(schedule)
    rows = rows_of(download(export(auditor, dataset="transcript")))
    assert [r["learner_username"] for r in rows] == ["ada", "bob"]
    assert rows[0]["blocks"] == "2"
    assert rows[0]["blocks_attended"] == "2"
    assert rows[0]["minutes_attended"] == "350"
    assert rows[0]["enrolment_status"] == "confirmed"
    assert rows[0]["session_start_local"] == "2030-03-04T09:00:00+01:00"
    assert world.session.pk == int(rows[0]["session_id"])


def test_a_learner_exports_only_their_own_transcript(schedule):
    world = build_world(schedule)
    ada, bob = world.learners
    record = export(ada, dataset="transcript", scope=Scope.OWN, learner=bob.pk)
    assert record.filters == {"learner": ada.pk}
    assert [r["learner_username"] for r in rows_of(download(record))] == ["ada"]
    with pytest.raises(services.RuleViolation):
        export(ada, dataset="attendance", scope=Scope.OWN)


def test_the_manifest_names_the_file_hash_and_row_count(schedule, auditor):
    build_world(schedule)
    record = export(auditor, date_from=dt.date(2030, 3, 4))
    data = download(record)
    record.refresh_from_db()
    manifest = manifest_for(record)
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["row_count"] == 4
    assert manifest["byte_count"] == len(data)
    assert manifest["filters"] == {"date_from": "2030-03-04"}
    assert manifest["generated_by"]["username"] == "auditor"
    assert manifest["generated_at"] == NOW.isoformat()
    # The audit log's head when the file was made: the newest sealed entry of the chain.
    head = manifest["audit_log_head"]
    assert head is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM compliance_auditentry WHERE seq = %s", [head["seq"]])
        row = cursor.fetchone()
    assert head["hash"] == (row[0] if row else GENESIS)


def test_a_streamed_export_downloads_once(schedule, auditor):
    build_world(schedule)
    record = export(auditor)
    download(record)
    with pytest.raises(services.ExportNotAvailable):
        download(record)


def test_an_interrupted_stream_is_marked_failed(schedule, auditor):
    build_world(schedule)
    record = export(auditor)
    claimed = services.export_claim_stream(record_id=record.pk, now=NOW)
    stream = services.export_stream(claimed, now=NOW)
    next(stream)
    stream.close()
    record.refresh_from_db()
    assert record.status == ExportStatus.FAILED
    assert record.sha256 == ""


def test_small_exports_stream_and_large_ones_go_to_the_worker(
    schedule, auditor, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EXPORT_DIR = tmp_path
    settings.EXPORT_STREAM_MAX_ROWS = 4
    build_world(schedule)
    assert export(auditor).mode == ExportMode.STREAM  # 4 rows: not over the limit

    settings.EXPORT_STREAM_MAX_ROWS = 3
    with django_capture_on_commit_callbacks() as callbacks:
        record = export(auditor)
    assert record.mode == ExportMode.WORKER
    assert record.expected_rows == 4
    assert len(callbacks) == 1  # the task is queued after commit
    with pytest.raises(services.ExportNotAvailable):
        services.export_claim_stream(record_id=record.pk, now=NOW)

    assert run_export(record.pk) is True  # the task itself, run here
    assert run_export(record.pk) is False  # a second run does nothing
    record.refresh_from_db()
    assert record.status == ExportStatus.READY
    path = services.export_file(record)
    assert path.parent == tmp_path
    data = path.read_bytes()
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.row_count == record.rows_written == 4
    assert len(rows_of(data)) == 4
    assert record.expires_at is not None


def test_the_sweep_deletes_worker_files_past_their_retention(
    schedule, auditor, settings, tmp_path, time_machine
):
    settings.EXPORT_DIR = tmp_path
    settings.EXPORT_STREAM_MAX_ROWS = 1
    settings.EXPORT_RETENTION_HOURS = 24
    time_machine.move_to(NOW, tick=False)
    build_world(schedule)
    record = export(auditor, fmt="xlsx")
    run_export(record.pk)
    record.refresh_from_db()
    path = services.export_file(record)
    assert record.expires_at == NOW + dt.timedelta(hours=24)

    assert services.exports_sweep(now=NOW + dt.timedelta(hours=23)) == 0
    assert path.exists()
    time_machine.move_to(NOW + dt.timedelta(hours=24, seconds=1), tick=False)
    assert sweep_exports() == 1
    assert not path.exists()
    record.refresh_from_db()
    assert record.status == ExportStatus.EXPIRED
    with pytest.raises(services.ExportNotAvailable):
        services.export_file(record)
    # The manifest outlives the file.
    assert manifest_for(record)["row_count"] == 4


def test_a_download_abandoned_mid_copy_stops_postgresql_and_frees_the_connection(
    auditor, monkeypatch
):
    """Two million generated rows (~200 MB of CSV): the reader takes two blocks and goes away;
    COPY is cancelled, the record says failed, and the connection serves the next query."""
    from django.db import connection

    from compliance.exports import datasets

    big = datasets.Dataset(
        name="big",
        title="Big",
        description="",
        columns=("n", "text"),
        formats=("csv",),
        build=lambda filters: datasets.Query(
            "SELECT g, repeat('x', 100) FROM generate_series(1, 2000000) AS g", ()
        ),
        filters=(),
    )
    monkeypatch.setitem(datasets.DATASETS, "big", big)
    monkeypatch.setattr(services.settings, "EXPORT_STREAM_MAX_ROWS", 10_000_000)
    record = export(auditor, dataset="big")
    claimed = services.export_claim_stream(record_id=record.pk, now=NOW)
    stream = services.export_stream(claimed, now=NOW)
    header, first, second = next(stream), next(stream), next(stream)
    assert header.decode("utf-8-sig") == "n,text\n"
    assert first.startswith(b"1," + b"x" * 100 + b"\n")
    assert len(first) + len(second) >= 2 << 20
    stream.close()
    record.refresh_from_db()
    assert record.status == ExportStatus.FAILED
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_the_sweep_marks_a_stream_that_never_finished_as_failed(schedule, auditor):
    build_world(schedule)
    record = export(auditor)
    services.export_claim_stream(record_id=record.pk, now=NOW)  # the stream is never read
    services.exports_sweep(now=NOW + dt.timedelta(minutes=59))
    record.refresh_from_db()
    assert record.status == ExportStatus.RUNNING
    services.exports_sweep(now=NOW + dt.timedelta(hours=1, seconds=1))
    record.refresh_from_db()
    assert record.status == ExportStatus.FAILED
    assert record.sha256 == ""


def test_the_compliance_matrix_and_certifications_export_through_the_same_path(
    learners, attended, certification, auditor
):
    from django.contrib.auth.models import Group

    from compliance.models import AudienceKind
    from compliance.services.certifications import (
        certifications_issue_for_completion,
        requirement_create,
    )
    from tests.compliance.conftest import COMPLETED
    from tests.conftest import at

    holder, never = learners(2)
    never.first_name = "=evil"
    never.save()
    for completion in attended({holder: COMPLETED}, day="2030-03-04").values():
        certifications_issue_for_completion(completion=completion, now=at("2030-03-04", "18:00"))
    requirement_create(
        name="Fire safety",
        certifications=[certification],
        audience=AudienceKind.ROLE,
        group=Group.objects.get_or_create(name="Learner")[0],
        expiring_soon_days=60,
    )
    matrix = rows_of(download(export(auditor, dataset="compliance_matrix")))
    by_learner = {int(r["learner_id"]): r for r in matrix}
    assert by_learner[holder.pk]["certification_code"] == "FIRE-1"
    assert by_learner[holder.pk]["session_time_zone"] == "Europe/Paris"
    assert by_learner[holder.pk]["expires_at"].endswith("Z")
    assert by_learner[never.pk]["status"] == "never_done"
    assert by_learner[never.pk]["learner_name"].startswith("'=evil")

    record = export(auditor, dataset="certifications", fmt="xlsx", date_from=dt.date(2030, 3, 4))
    sheet = load_workbook(io.BytesIO(download(record)), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1
    assert rows[0][header.index("learner_id")] == holder.pk
    record.refresh_from_db()
    assert record.row_count == 1
    assert (
        len(
            rows_of(
                download(export(auditor, dataset="certifications", date_from=dt.date(2030, 3, 5)))
            )
        )
        == 0
    )
