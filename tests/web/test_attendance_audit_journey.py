"""Issue 9's journey in real Chromium at 375 px (set-up as in tests/web/test_browser.py):

1. the session's block has just ended; the lead instructor opens its attendance page on a
   phone, taps "All present", marks one learner absent and signs off, and sees the sign-off
   confirmation (completions are written: two completed, one not);
2. an auditor, on a phone too, exports that course's attendance records for that day as CSV,
   downloads the file and then the manifest the page links to: the manifest's SHA-256 is the
   downloaded bytes', its row count the file's rows, the file shows the absent learner absent
   and the others present (and nothing from another course or another day), and the manifest
   names an audit-log head that `verify_audit_log` confirms is in an intact chain.

axe-core checks every page visited (no serious or critical violations).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from attendance.models import (
    AttendanceRecord,
    AttendanceSignOff,
    AttendanceSource,
    AttendanceStatus,
    Completion,
)
from attendance.services.registration import registration_create
from compliance.models import ExportRecord, ExportStatus
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser


def _assert_accessible(page: Any, what: str) -> None:
    """axe-core on the page as it stands: no violations of any impact (the shared helper in
    tests/web/test_browser.py lets minor and moderate ones through)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.response["passes"], f"axe checked nothing on {what}"
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
    ]
    assert found == [], f"axe on {what}: {found}"


def _fits(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at 375px"


def _attended_elsewhere(session: Session, username: str) -> None:
    """A confirmed learner of `session` marked present on its block: rows the export's
    filters must leave out."""
    learner = factories.UserFactory(username=username, role="Learner")
    seat = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    AttendanceRecord.objects.create(
        registration=seat,
        block=session.blocks.get(),
        status=AttendanceStatus.PRESENT,
        minutes_attended=180,
        source=AttendanceSource.ROSTER,
        recorded_at=NOW + dt.timedelta(days=3),
    )


def test_the_instructor_signs_off_then_the_auditor_exports_and_the_manifest_proves_the_file(
    browser: Any,
    live_server: Any,
    schedule: Any,
    booked: Session,
    course: Any,
    auditor: Any,
    tmp_path: Path,
) -> None:
    base = live_server.url
    # `booked`: SAFE-101, Mon 4 March 2030 09:00-12:00 Paris (08:00-11:00 UTC), led by
    # "instructor". Three learners hold confirmed seats.
    seats = {}
    for username, first, last in (
        ("ada", "Ada", "Byron"),
        ("bob", "Bob", "Stone"),
        ("cleo", "Cleo", "Marsh"),
    ):
        learner = factories.UserFactory(
            username=username, first_name=first, last_name=last, role="Learner"
        )
        seats[username] = registration_create(session_id=booked.pk, learner=learner, now=NOW).row()
    assert {seat.status for seat in seats.values()} == {"confirmed"}
    block = booked.blocks.get()

    # Records the export must leave out: the same course a week later, another course the
    # same morning (another room and instructor).
    later = schedule([(at("2030-03-11", "09:00"), at("2030-03-11", "12:00"))], status="scheduled")
    _attended_elsewhere(later, "next-week")
    other_course = factories.CourseFactory(code="FIRE-201", title="Fire wardens")
    elsewhere = schedule(
        status="scheduled",
        the_course=other_course,
        rooms=[factories.RoomFactory(name="Annex", capacity=20)],
        instructors=[factories.InstructorFactory(user__username="fire-instructor")],
    )
    _attended_elsewhere(elsewhere, "fire-learner")

    def row(username: str) -> Any:
        return page.locator(f"#row-{block.pk}-{seats[username].pk}")

    # The block has just ended; the clock keeps ticking (no sleeping: the clock is moved).
    with time_machine.travel(at("2030-03-04", "12:30"), tick=True):
        # 1. The instructor takes the register on a phone and signs off.
        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "instructor")
        _assert_accessible(page, "the instructor's home at 375px")
        page.goto(f"{base}/sessions/{booked.pk}/roster/")
        _assert_accessible(page, "the roster at 375px")
        page.get_by_role("link", name="Attendance", exact=True).click()
        page.wait_for_url(f"{base}/sessions/{booked.pk}/attendance/")
        _assert_styled_with_htmx(page)
        _fits(page, "the attendance page")
        _assert_accessible(page, "the attendance page (unmarked) at 375px")

        page.get_by_role("button", name="All present (3 unmarked)").click()
        page.get_by_text("3 learner(s) marked present.").wait_for()
        row("bob").get_by_text("Absent", exact=True).click()
        row("bob").get_by_text("Saved.").wait_for()
        assert row("bob").get_by_role("radio", name="Absent").is_checked()
        assert row("ada").get_by_role("radio", name="Present").is_checked()
        _assert_accessible(page, "the marked attendance page at 375px")

        page.get_by_role("button", name="Sign off attendance").click()
        page.get_by_text("Attendance signed off: 2 completed, 1 not completed.").wait_for()
        _fits(page, "the signed-off attendance page")
        _assert_accessible(page, "the signed-off attendance page at 375px")
        assert AttendanceSignOff.objects.get(session=booked).signed_off_by.username == (
            "instructor"
        )
        outcomes = dict(Completion.objects.values_list("registration__learner__username", "status"))
        assert outcomes == {"ada": "completed", "bob": "not_completed", "cleo": "completed"}
        assert watch.problems == []
        context.close()

        # 2. The auditor exports SAFE-101's attendance on 4 March (UTC) as CSV.
        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "auditor")
        page.goto(base + "/exports/")
        _assert_styled_with_htmx(page)
        _fits(page, "the exports home")
        _assert_accessible(page, "the exports home at 375px")
        form = page.get_by_role("region", name="Attendance records")
        form.get_by_label("From (UTC date)").fill("2030-03-04")
        form.get_by_label("To (UTC date)").fill("2030-03-04")
        form.get_by_label("Course").select_option(label=str(course))
        form.get_by_label("Format").select_option("csv")
        form.get_by_role("button", name="Export").click()
        page.get_by_role("heading", name="Attendance records", level=1).wait_for()
        record = ExportRecord.objects.get()
        _fits(page, "the export page")
        _assert_accessible(page, "the export page at 375px")

        with page.expect_download() as info:
            page.get_by_role("link", name=f"Download tms-attendance-{record.pk}.csv").click()
        saved = tmp_path / "attendance.csv"
        info.value.save_as(saved)
        data = saved.read_bytes()

        manifest_link = page.get_by_role("link", name="Download the manifest (.manifest.json)")
        manifest_link.wait_for()  # the progress partial (htmx) shows it once the stream ended
        answer = page.request.get(base + manifest_link.get_attribute("href"))
        assert answer.status == 200
        manifest = json.loads(answer.body())
        page.get_by_text(manifest["sha256"]).wait_for()
        _fits(page, "the finished export")
        _assert_accessible(page, "the finished export at 375px")
        assert watch.problems == []
        context.close()

    # The manifest proves the file.
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["byte_count"] == len(data)
    assert manifest["dataset"] == "attendance"
    assert manifest["format"] == "csv"
    assert manifest["filters"] == {
        "date_from": "2030-03-04",
        "date_to": "2030-03-04",
        "course": course.pk,
    }
    assert manifest["generated_by"]["username"] == "auditor"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert manifest["row_count"] == len(rows) == 3
    assert {r["learner_username"]: r["status"] for r in rows} == {
        "ada": "present",
        "bob": "absent",
        "cleo": "present",
    }
    assert {(r["session_id"], r["block_id"], r["course_code"]) for r in rows} == {
        (str(booked.pk), str(block.pk), "SAFE-101")
    }
    record.refresh_from_db()
    assert record.status == ExportStatus.READY
    assert record.sha256 == manifest["sha256"]

    # The manifest names the audit log's head, and that head is in an intact chain.
    head = manifest["audit_log_head"]
    assert isinstance(head["seq"], int)
    assert head["seq"] > 0
    assert re.fullmatch(r"[0-9a-f]{64}", head["hash"])
    out = io.StringIO()
    call_command("verify_audit_log", head_hash=head["hash"], head_seq=head["seq"], stdout=out)
    assert out.getvalue().startswith("audit log intact:")
