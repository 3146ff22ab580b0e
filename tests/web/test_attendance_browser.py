"""Real Chromium at 375 px: the lead instructor takes the register on a phone — "All
present", one learner absent, a change whose request is cut (Playwright aborts it) is flagged
on its row with the choice kept, "Save" retries it (so are a server error and a sign-in page
in place of the row) — then signs off. axe-core checks the page
before and after; it must not scroll sideways. Under a minutes rule, a late row without
minutes is flagged (axe-checked) until they are typed. Same launch and skip rules as
tests/web/test_browser.py (Debian's chromium, no download)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import time_machine

from attendance.models import AttendanceRecord, AttendanceSignOff, Completion
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser
SHOTS = Path(tempfile.gettempdir())  # screenshots: /tmp/tms-attendance-*.png


def _fits(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at 375px"


def _status_of(registration: Any) -> str:
    return AttendanceRecord.objects.get(registration=registration).status


def test_the_instructor_takes_the_register_on_a_phone_and_signs_off(
    browser: Any, live_server: Any, booked: Session
) -> None:
    base = live_server.url
    seats = {}
    for first, last in (("Ada", "Byron"), ("Bob", "Stone"), ("Cleo", "Marsh")):
        learner = factories.UserFactory(first_name=first, last_name=last, role="Learner")
        seats[first] = registration_create(session_id=booked.pk, learner=learner, now=NOW).row()
    block = booked.blocks.get()

    def row(first: str) -> Any:
        return page.locator(f"#row-{block.pk}-{seats[first].pk}")

    # The block (09:00-12:00 Paris on 4 March 2030) has just ended; the clock keeps ticking.
    with time_machine.travel(at("2030-03-04", "12:30"), tick=True):
        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "instructor")
        page.goto(f"{base}/sessions/{booked.pk}/roster/")
        page.get_by_role("link", name="Attendance", exact=True).click()
        page.wait_for_url(f"{base}/sessions/{booked.pk}/attendance/")
        _assert_styled_with_htmx(page)
        _fits(page, "the attendance page")
        _assert_accessible(page, "the attendance page (unmarked)")
        for first in seats:
            row(first).get_by_text("Not marked yet.").wait_for()

        page.get_by_role("button", name="All present (3 unmarked)").click()
        page.get_by_text("3 learner(s) marked present.").wait_for()
        assert {_status_of(r) for r in seats.values()} == {"present"}
        assert row("Ada").get_by_role("radio", name="Present").is_checked()

        # One exception: Bob was absent. The tap is saved at once (htmx), the row comes back.
        row("Bob").get_by_text("Absent", exact=True).click()
        row("Bob").get_by_text("Saved.").wait_for()
        assert _status_of(seats["Bob"]) == "absent"
        assert row("Bob").get_by_role("radio", name="Absent").is_checked()

        # The connection drops as Cleo is marked late: the row says so and keeps "Late".
        cleo_url = re.compile(rf".*/learners/{seats['Cleo'].pk}/$")
        page.route(cleo_url, lambda route: route.abort())
        row("Cleo").get_by_text("Late", exact=True).click()
        row("Cleo").get_by_text("Not saved: the connection failed.", exact=False).wait_for()
        assert "attendance-row--failed" in (row("Cleo").get_attribute("class") or "")
        assert row("Cleo").get_by_role("radio", name="Late").is_checked()
        assert _status_of(seats["Cleo"]) == "present"
        _assert_accessible(page, "the attendance page with a failed save")
        page.screenshot(path=str(SHOTS / "tms-attendance-failed-save.png"), full_page=True)
        _fits(page, "the attendance page with a failed save")

        # Back online, "Save" sends the kept choice.
        page.unroute(cleo_url)
        row("Cleo").get_by_role("button", name="Save Cleo Marsh").click()
        row("Cleo").get_by_text("Saved.").wait_for()
        assert _status_of(seats["Cleo"]) == "late"
        assert "attendance-row--failed" not in (row("Cleo").get_attribute("class") or "")

        # A server error, then a sign-in page instead of the row (an expired session): both are
        # flagged on the row and change nothing.
        ada_url = re.compile(rf".*/learners/{seats['Ada'].pk}/$")
        page.route(ada_url, lambda route: route.fulfill(status=500, body="Server Error"))
        row("Ada").get_by_text("Excused", exact=True).click()
        row("Ada").get_by_text("Not saved: the connection failed.", exact=False).wait_for()
        page.unroute(ada_url)
        page.route(
            ada_url,
            lambda route: route.fulfill(
                status=200, content_type="text/html", body="<html><body>Sign in</body></html>"
            ),
        )
        row("Ada").get_by_role("button", name="Save Ada Byron").click()
        row("Ada").get_by_text("Not saved: you are signed out.", exact=False).wait_for()
        assert row("Ada").get_by_role("radio", name="Excused").is_checked()
        page.unroute(ada_url)
        row("Ada").get_by_text("Present", exact=True).click()
        row("Ada").get_by_text("Saved.").wait_for()
        assert _status_of(seats["Ada"]) == "present"

        page.get_by_role("button", name="Sign off attendance").click()
        page.get_by_text("Attendance signed off: 2 completed, 1 not completed.").wait_for()
        assert AttendanceSignOff.objects.get(session=booked).signed_off_by.username == "instructor"
        outcomes = dict(Completion.objects.values_list("registration_id", "status"))
        assert outcomes == {
            seats["Ada"].pk: "completed",
            seats["Bob"].pk: "not_completed",
            seats["Cleo"].pk: "completed",
        }
        page.get_by_label("Reason for a change (signed off) Bob Stone").wait_for()
        _fits(page, "the signed-off attendance page")
        _assert_accessible(page, "the signed-off attendance page")
        page.screenshot(path=str(SHOTS / "tms-attendance-signed-off.png"), full_page=True)

        # The aborted request is the only error the browser reported (htmx logs its failure).
        aborted = (
            "net::ERR_FAILED",
            "status of 500",
            "Response Status Error Code 500",
            "htmx:sendError",
            "htmx:responseError",
            "htmx:afterRequest",
        )
        problems = [p for p in watch.problems if not any(a in p for a in aborted)]
        assert problems == [], problems
        assert len(watch.problems) - len(problems) >= 1
        context.close()


def test_under_the_minutes_rule_the_phone_page_flags_a_late_row_until_its_minutes_are_typed(
    browser: Any, live_server: Any, booked: Session
) -> None:
    base = live_server.url
    booked.course.completion_rule = "minutes"
    booked.course.save()
    block = booked.blocks.get()
    learner = factories.UserFactory(first_name="Cleo", last_name="Marsh", role="Learner")
    seat = registration_create(session_id=booked.pk, learner=learner, now=NOW).row()
    attendance_mark(
        registration=seat,
        block=block,
        mark=Mark("late"),
        source="check_in",
        recorded_by=learner,
        now=at("2030-03-04", "09:20"),
    )
    with time_machine.travel(at("2030-03-04", "12:30"), tick=True):
        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "instructor")
        page.goto(f"{base}/sessions/{booked.pk}/attendance/")
        row = page.locator(f"#row-{block.pk}-{seat.pk}")
        row.get_by_text("Minutes needed: this course completes by minutes attended.").wait_for()
        page.get_by_text("1 late or left-early mark needs its minutes before sign-off.").wait_for()
        _fits(page, "the attendance page with minutes needed")
        _assert_accessible(page, "the attendance page with minutes needed")
        page.screenshot(path=str(SHOTS / "tms-attendance-minutes-needed.png"), full_page=True)

        row.get_by_label("Minutes Cleo Marsh").fill("160")
        row.get_by_label("Minutes Cleo Marsh").press("Tab")
        row.get_by_text("Saved.").wait_for()
        assert AttendanceRecord.objects.get(registration=seat).minutes_attended == 160
        assert row.get_by_text("Minutes needed").count() == 0
        page.get_by_role("button", name="Sign off attendance").click()
        page.get_by_text("Attendance signed off: 0 completed, 1 not completed.").wait_for()
        assert watch.problems == []
        context.close()
