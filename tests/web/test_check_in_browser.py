"""Real Chromium at 375 px: the instructor opens the check-in panel from the roster, a learner
types the code shown there on their phone and is checked in; the panel's count follows by
htmx polling. axe-core checks each page (no serious or critical violations), nothing scrolls
sideways, and the real CSP reports no violation.

The block starts a few minutes after the real "now" (the live server's clock), so check-in is
open. Same launch and skip rules as tests/web/test_browser.py (Debian's chromium).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceSource
from attendance.services.registration import registration_create
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in
from tests.web.test_learner_browser import _no_sideways_scroll, _shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser


@pytest.fixture
def soon(schedule: Any, learner: Any) -> Any:
    """A scheduled session starting in 5-10 minutes, `learner` holding a seat."""
    cache.clear()
    now = timezone.now()
    start = (now + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=start.minute % 5)
    session = schedule([(start, start + dt.timedelta(hours=2))], status="scheduled", now=now)
    registration_create(session_id=session.pk, learner=learner, now=now)
    return session


def test_a_learner_checks_in_with_the_code_on_the_instructors_panel(
    browser: Any, live_server: Any, soon: Any, instructor: Any
) -> None:
    base = live_server.url

    # The instructor: roster → panel, on a phone.
    context, panel, watch = _open(browser, width=375)
    _sign_in(panel, base, "instructor")
    panel.goto(f"{base}/sessions/{soon.pk}/roster/")
    panel.get_by_role("link", name="Show the check-in code").click()
    panel.get_by_text("Go to").wait_for()
    _assert_styled_with_htmx(panel)
    code = panel.locator(".check-in-code").get_attribute("data-code")
    assert code is not None
    assert len(code) == 6
    qr = panel.get_by_role("img", name="QR code: opens the check-in page", exact=False)
    qr.wait_for()
    assert panel.evaluate("document.querySelector('.check-in-qr').naturalWidth") > 0
    _no_sideways_scroll(panel, "the check-in panel at 375px")
    _assert_accessible(panel, "the check-in panel at 375px")
    _shot(panel, "phone-check-in-panel")

    # The learner types the code on their phone.
    learner_context, phone, learner_watch = _open(browser, width=375)
    _sign_in(phone, base, "learner")
    phone.goto(f"{base}/check-in/")
    field = phone.get_by_label("Check-in code")
    assert field.get_attribute("inputmode") == "numeric"
    _no_sideways_scroll(phone, "the check-in page at 375px")
    _assert_accessible(phone, "the check-in page at 375px")
    # The panel may have rotated since it was read: the previous code is still accepted.
    field.fill(f"{code[:3]} {code[3:]}")
    phone.get_by_role("button", name="Check in").click()
    phone.get_by_text("You are checked in to Workplace safety at", exact=False).wait_for()
    _no_sideways_scroll(phone, "the check-in result at 375px")
    _assert_accessible(phone, "the check-in result at 375px")
    _shot(phone, "phone-check-in-done")

    record = AttendanceRecord.objects.get()
    assert (record.registration.learner.username, record.source) == (
        "learner",
        AttendanceSource.CHECK_IN,
    )
    assert record.status == "present"

    # A second try (with the code the panel shows now) says when they checked in.
    now_shown = panel.locator(".check-in-code").get_attribute("data-code") or ""
    phone.get_by_label("Check-in code").fill(now_shown)
    phone.get_by_role("button", name="Check in").click()
    phone.get_by_text("You already checked in at", exact=False).wait_for()
    _assert_accessible(phone, "a refused check-in at 375px")

    # The panel polls: its count follows without a reload.
    panel.get_by_text("1 of 1 learner checked in.").wait_for(timeout=20_000)
    assert watch.problems == []
    # The refused check-in is answered 409 on purpose; the browser logs that status.
    assert [p for p in learner_watch.problems if "status of 409" not in p] == []
    learner_context.close()
    context.close()

    # Projected on a wall: the same panel at 1280 px.
    context, wall, watch = _open(browser)
    _sign_in(wall, base, "instructor")
    wall.goto(f"{base}/sessions/{soon.pk}/check-in/")
    wall.get_by_text("1 of 1 learner checked in.").wait_for()
    _assert_accessible(wall, "the check-in panel at 1280px")
    _shot(wall, "check-in-panel")
    assert watch.problems == []
    context.close()
