"""Real Chromium at 375 px: the session's instructor goes from the roster to the participant
reports, imports a Zoom report, sees who was matched (by name: flagged), matches the dial-in
participant to a learner, and the attendance table shows them present. axe-core checks each
page (no serious or critical violations), none scrolls sideways, and the browser reports no
CSP violation. Screenshots: /tmp/tms-participant-*.png.

Same launch and skip rules as tests/web/test_browser.py (Debian's chromium, no download).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser
REPORT = Path(__file__).parent.parent / "attendance" / "reports" / "zoom_participants.csv"
SHOTS = Path(tempfile.gettempdir())


def _fits(page: Any, what: str) -> None:
    _assert_styled_with_htmx(page)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
            .slice(0, 5)
            .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30))"""
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at 375px: {wide}"
    _assert_accessible(page, f"{what} at 375px")


def test_instructor_imports_a_report_and_resolves_a_participant_on_a_phone(
    browser: Any,
    live_server: Any,
    report_session: Any,
    report_seats: dict[str, Any],
    instructor: Any,
) -> None:
    base = live_server.url
    context, page, watch = _open(browser, width=375)
    _sign_in(page, base, instructor.user.username)

    page.goto(f"{base}/sessions/{report_session.pk}/roster/")
    page.get_by_role("link", name="Import participant report").click()
    page.wait_for_url(f"{base}/sessions/{report_session.pk}/participant-reports/")
    _fits(page, "the session's participant reports")
    page.get_by_role("link", name="Import participant report").click()
    _fits(page, "the import form")
    page.screenshot(path=str(SHOTS / "tms-participant-import.png"), full_page=True)

    # Nothing chosen: the form says so, on the field.
    page.get_by_role("button", name="Import").click()
    page.get_by_text("This field is required.").wait_for()
    _fits(page, "the import form with an error")

    page.get_by_label("Participant report").set_input_files(str(REPORT))
    page.get_by_role("button", name="Import").click()
    page.get_by_text("The report was imported: 4 participant(s).").wait_for()
    page.screenshot(path=str(SHOTS / "tms-participant-result.png"), full_page=True)
    _fits(page, "the import result")
    participants = page.locator("#participants-heading").locator("xpath=..")
    assert participants.get_by_text("Matched by name (check it)").count() == 1

    dial_in = page.locator("tr", has_text="Dial-in 555-0100")
    dial_in.get_by_label("Who is this?").select_option(label="Dan Absent (dan@example.com)")
    dial_in.get_by_role("button", name="Save").click()
    page.get_by_text("Dial-in 555-0100 is matched; attendance was updated.").wait_for()
    dan = page.locator("#attendance-heading").locator("xpath=..").locator("tr", has_text="Dan")
    assert "Present" in dan.inner_text()
    assert "170" in dan.inner_text()
    _fits(page, "the result after resolving")
    # The empty upload answered 400 on purpose (the form's error); nothing else went wrong.
    assert [p for p in watch.problems if "status of 400" not in p] == []
    context.close()
