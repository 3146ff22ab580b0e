"""Importing participant reports: matching, merged minutes, the course's threshold,
idempotence, merging a second report, resolving unmatched rows, refusals writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.models import (
    AttendanceRecord,
    AttendanceSource,
    ParticipantMatch,
    ParticipantReport,
    ParticipantReportEntry,
)
from attendance.participant_reports import ParticipantRow, ReportError
from attendance.services.marking import Mark, attendance_mark
from attendance.services.participant_import import (
    participant_entry_resolve,
    participant_report_import,
    participant_rows_import,
)
from tests.attendance.report_world import report_bytes
from tests.conftest import at
from tms.exceptions import RuleViolation

pytestmark = pytest.mark.django_db

LATER = dt.datetime(2030, 3, 4, 12, 0, tzinfo=dt.UTC)


def do_import(report_block, by, name="zoom_participants.csv", **kwargs):  # type: ignore[no-untyped-def]
    return participant_report_import(
        block_id=report_block.pk,
        file_name=name,
        data=report_bytes(name),
        by=by,
        now=LATER,
        **kwargs,
    )


def marks(report_block) -> dict[str, tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return {
        r.registration.learner.username: (r.status, r.minutes_attended)
        for r in AttendanceRecord.objects.filter(block=report_block).select_related(
            "registration__learner"
        )
    }


def entries(report) -> dict[str, tuple[str, str | None, int]]:  # type: ignore[no-untyped-def]
    return {
        e.name: (e.match, e.registration.learner.username if e.registration else None, e.minutes)
        for e in report.entries.select_related("registration__learner")
    }


def test_zoom_report_matches_by_email_then_name_and_applies_the_threshold(
    report_block, report_seats, instructor
):
    result = do_import(report_block, instructor.user)
    assert not result.already_imported
    assert result.report.file_format == "zoom"
    assert result.report.row_count == 5
    assert entries(result.report) == {
        # Two rows (a rejoin), overlapping by 90 s: merged, clipped to 09:00-12:00.
        "Ada Example": (ParticipantMatch.EMAIL, "ada", 180),
        "Ben Sample": (ParticipantMatch.EMAIL, "ben", 160),
        # No email in the report: matched by name, flagged for the instructor.
        "Cleo Test": (ParticipantMatch.NAME, "cleo", 60),
        "Dial-in 555-0100": (ParticipantMatch.UNMATCHED, None, 170),
    }
    assert marks(report_block) == {
        "ada": ("present", 180),
        "ben": ("late", 160),  # joined 20 min late, 160 ≥ 80 % of 180
        "cleo": ("absent", 60),  # below the threshold: absent, minutes kept
        "zoe": ("absent", 0),  # not in the report
        "dan": ("absent", 0),
    }
    record = AttendanceRecord.objects.get(block=report_block, registration=report_seats["ada"])
    assert record.source == AttendanceSource.REPORT
    assert record.recorded_by == instructor.user
    lines = ParticipantReportEntry.objects.get(name="Ada Example").lines
    assert lines == [2, 3]


def test_the_course_threshold_decides(report_block, report_seats, instructor, course):
    course.attendance_threshold_percent = 30
    course.save()
    do_import(report_block, instructor.user)
    assert marks(report_block)["cleo"] == ("left_early", 60)  # 60 ≥ 30 % of 180; left at 10:00


def test_the_same_file_again_changes_nothing(report_block, report_seats, instructor, coordinator):
    first = do_import(report_block, instructor.user)
    before = {r.pk: r.updated_at for r in AttendanceRecord.objects.all()}
    counts = (
        ParticipantReport.objects.count(),
        ParticipantReportEntry.objects.count(),
        AttendanceRecord.objects.count(),
    )
    again = do_import(report_block, coordinator, name="zoom_participants.csv")
    assert again.already_imported
    assert again.report.pk == first.report.pk
    assert "already imported" in again.message
    assert "Ivy Instructor" in again.message
    assert counts == (
        ParticipantReport.objects.count(),
        ParticipantReportEntry.objects.count(),
        AttendanceRecord.objects.count(),
    )
    assert {r.pk: r.updated_at for r in AttendanceRecord.objects.all()} == before


def test_a_second_report_merges_its_intervals_with_the_first(
    report_block, report_seats, instructor
):
    do_import(report_block, instructor.user)
    second = do_import(report_block, instructor.user, name="zoom_second_device.csv")
    assert not second.already_imported
    assert ParticipantReport.objects.filter(block=report_block).count() == 2
    # Ben: 09:20-12:00 then 09:00-09:25 from another device: 180 min, the overlap once.
    # Cleo: 09:00-10:00 and 10:00-11:30 (her phone, matched by name): 150 min.
    assert marks(report_block)["ben"] == ("present", 180)
    assert marks(report_block)["cleo"] == ("left_early", 150)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("teams_sections_utf16.csv", {"ada": ("present", 150), "ben": ("absent", 40)}),
        # First join to last leave, credited no more than the stated 2h 36m 50s.
        ("teams_participants_bom.csv", {"ada": ("present", 156), "ben": ("absent", 40)}),
        ("teams_legacy_utf16.csv", {"ada": ("present", 180), "ben": ("late", 160)}),
        ("zoom_summary_bom.csv", {"ada": ("present", 180), "zoe": ("absent", 30)}),
        ("teams_german.csv", {"ada": ("present", 180), "ben": ("late", 160)}),
    ],
)
def test_each_format_marks_the_learners(report_block, report_seats, instructor, name, expected):
    do_import(report_block, instructor.user, name=name)
    found = marks(report_block)
    assert {who: found[who] for who in expected} == expected


def test_the_sessions_instructor_is_set_aside_not_left_unmatched(
    report_block, report_seats, instructor
):
    result = do_import(report_block, instructor.user, name="teams_legacy_utf16.csv")
    ivy = result.report.entries.get(email="instructor@example.com")
    assert ivy.match == ParticipantMatch.IGNORED
    assert ivy.resolved_by is None
    assert ivy.role == "Organizer"


def test_resolving_an_unmatched_row_marks_that_learner(report_block, report_seats, instructor):
    result = do_import(report_block, instructor.user)
    dial_in = result.report.entries.get(match=ParticipantMatch.UNMATCHED)
    participant_entry_resolve(
        entry_id=dial_in.pk, registration_id=report_seats["dan"].pk, by=instructor.user, now=LATER
    )
    dial_in.refresh_from_db()
    assert (dial_in.match, dial_in.registration, dial_in.resolved_by) == (
        ParticipantMatch.RESOLVED,
        report_seats["dan"],
        instructor.user,
    )
    assert marks(report_block)["dan"] == ("present", 170)


def test_ignoring_a_wrong_name_match_takes_the_minutes_back(report_block, report_seats, instructor):
    result = do_import(report_block, instructor.user, name="zoom_second_device.csv")
    cleo = result.report.entries.get(match=ParticipantMatch.NAME)
    participant_entry_resolve(entry_id=cleo.pk, registration_id=None, by=instructor.user, now=LATER)
    cleo.refresh_from_db()
    assert cleo.match == ParticipantMatch.IGNORED
    assert marks(report_block)["cleo"] == ("absent", 0)


def test_resolving_to_someone_without_a_seat_here_is_refused(
    report_block, report_seats, instructor, schedule
):
    result = do_import(report_block, instructor.user)
    dial_in = result.report.entries.get(match=ParticipantMatch.UNMATCHED)
    with pytest.raises(RuleViolation) as refused:
        participant_entry_resolve(
            entry_id=dial_in.pk, registration_id=987654, by=instructor.user, now=LATER
        )
    assert "confirmed seat" in refused.value.message
    dial_in.refresh_from_db()
    assert dial_in.match == ParticipantMatch.UNMATCHED


def test_a_mark_made_by_hand_is_kept(report_block, report_seats, instructor):
    attendance_mark(
        registration=report_seats["zoe"],
        block=report_block,
        mark=Mark("excused", None, "Doctor's note"),
        source=AttendanceSource.ROSTER,
        recorded_by=instructor.user,
        now=LATER,
    )
    result = do_import(report_block, instructor.user)
    kept = [o for o in result.outcomes if o.kept is not None]
    assert [o.registration.pk for o in kept] == [report_seats["zoe"].pk]
    record = AttendanceRecord.objects.get(registration=report_seats["zoe"])
    assert (record.status, record.notes, record.source) == ("excused", "Doctor's note", "roster")


def test_a_malformed_file_writes_nothing(report_block, report_seats, instructor):
    with pytest.raises(ReportError) as refused:
        do_import(report_block, instructor.user, name="zoom_malformed.csv")
    assert refused.value.message.startswith("Line 4, column “Join Time”")
    assert ParticipantReport.objects.count() == 0
    assert ParticipantReportEntry.objects.count() == 0
    assert AttendanceRecord.objects.count() == 0


def test_a_report_of_another_day_is_refused(report_block, report_seats, instructor):
    rows = [
        ParticipantRow(
            line=2,
            name="Ada Example",
            email="ada@example.com",
            joined_at=at("2030-03-05", "09:00"),
            left_at=at("2030-03-05", "12:00"),
        )
    ]
    with pytest.raises(ReportError) as refused:
        participant_rows_import(
            block_id=report_block.pk,
            rows=rows,
            file_format="api",
            file_name="fetched",
            fingerprint="x" * 64,
            by=instructor.user,
            now=LATER,
        )
    assert "None of the report's times fall within this block" in refused.value.message
    assert AttendanceRecord.objects.count() == 0


def test_rows_from_an_api_fetcher_take_the_same_path(report_block, report_seats, instructor):
    rows = [
        ParticipantRow(
            line=1,
            name="ada",
            email="Ada@Example.com",
            joined_at=at("2030-03-04", "08:30"),
            left_at=at("2030-03-04", "12:30"),
        )
    ]
    kwargs = {
        "block_id": report_block.pk,
        "rows": rows,
        "file_format": "bigbluebutton",
        "file_name": "meeting 42",
        "fingerprint": "f" * 64,
        "by": instructor.user,
        "now": LATER,
    }
    participant_rows_import(**kwargs)
    assert marks(report_block)["ada"] == ("present", 180)  # clipped to the block
    assert participant_rows_import(**kwargs).already_imported


def test_an_ilt_session_has_no_participant_reports(schedule, instructor, room):
    ilt = schedule(status="scheduled").blocks.get()
    with pytest.raises(RuleViolation) as refused:
        do_import(ilt, instructor.user)
    assert "video call" in refused.value.message


def test_after_sign_off_an_import_needs_a_reason_and_is_a_late_edit(
    report_block, report_seats, instructor
):
    from attendance.models import AttendanceSignOff

    AttendanceSignOff.objects.create(
        session=report_block.session, signed_off_by=instructor.user, signed_off_at=LATER
    )
    with pytest.raises(RuleViolation):
        do_import(report_block, instructor.user)
    assert ParticipantReport.objects.count() == 0
    do_import(report_block, instructor.user, reason="Report arrived late")
    record = AttendanceRecord.objects.get(registration=report_seats["ada"])
    assert record.late_edit
    assert record.late_edit_reason == "Report arrived late"


def test_time_in_zooms_waiting_room_is_no_attendance(report_block, report_seats, instructor):
    result = do_import(report_block, instructor.user, name="zoom_waiting_room.csv")
    assert marks(report_block)["ada"] == ("present", 180)
    assert marks(report_block)["ben"] == ("absent", 0)
    ben = result.report.entries.get(email="ben@example.com")
    assert ben.lines == [4]  # listed, not dropped


def test_a_report_of_durations_only_credits_the_durations(report_block, report_seats, instructor):
    do_import(report_block, instructor.user, name="zoom_unique_users.csv")
    assert marks(report_block)["ada"] == ("present", 175)
    assert marks(report_block)["ben"] == ("absent", 95)


def test_a_later_report_reuses_what_the_instructor_said_about_a_participant(
    report_block, report_seats, instructor
):
    first = do_import(report_block, instructor.user)
    dial_in = first.report.entries.get(match=ParticipantMatch.UNMATCHED)
    participant_entry_resolve(
        entry_id=dial_in.pk, registration_id=report_seats["dan"].pk, by=instructor.user, now=LATER
    )
    second = do_import(report_block, instructor.user, name="zoom_cohost.csv")
    again = second.report.entries.get(name="Dial-in 555-0100")
    assert (again.match, again.registration, again.resolved_by) == (
        ParticipantMatch.RESOLVED,
        report_seats["dan"],
        instructor.user,
    )
    assert second.report.entries.get(name="Ada Example").resolved_by is None
    assert marks(report_block)["dan"] == (
        "present",
        173,
    )  # 09:05-11:55 and 11:00-11:58: 09:05-11:58


def test_teams_event_list_is_imported_by_name(report_block, report_seats, instructor):
    result = do_import(report_block, instructor.user, name="teams_events_utf16.csv")
    assert entries(result.report)["Ada Example"][:2] == (ParticipantMatch.NAME, "ada")
    # 09:00-10:00 and 10:05-12:00: 175 min.
    assert marks(report_block)["ada"] == ("present", 175)
    assert marks(report_block)["ben"] == ("late", 160)
