"""Real Chromium at 375 px: a learner reads their attendance per block on "My training", and
an auditor opens that learner's record (from the learners list) with its history and a
registration's history on the roster. Axe-clean, no sideways scroll."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from attendance.models import AttendanceSource
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from compliance.models import Certification
from compliance.services.sign_off import sign_off_and_certify
from tests.conftest import NOW, at
from tests.web.test_browser import _assert_accessible, _open, _sign_in, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
LATER = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)


def _fits(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"
    _assert_accessible(page, what)


def test_a_learner_reads_their_attendance_and_an_auditor_their_record_at_375px(
    browser: Any,  # noqa: F811
    live_server: Any,
    schedule: Any,
    course: Any,
    learner: Any,
    auditor: Any,
    instructor: Any,
) -> None:
    fire = Certification.objects.create(code="FIRE-1", name="Fire warden", valid_months=12)
    fire.courses.add(course)
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ],
        status="scheduled",
    )
    registration = registration_create(session_id=session.pk, learner=learner, now=NOW).row()
    ended = at("2030-03-05", "13:00")
    for block, (status, minutes) in zip(
        session.blocks.order_by("starts_at"), [("present", 180), ("late", 140)], strict=True
    ):
        attendance_mark(
            registration=registration,
            block=block,
            mark=Mark(status, minutes_attended=minutes),
            source=AttendanceSource.ROSTER,
            recorded_by=instructor.user,
            now=ended,
        )
    sign_off_and_certify(session_id=session.pk, by=instructor.user, now=ended)
    base = live_server.url
    with time_machine.travel(LATER, tick=True):
        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "learner")
        page.goto(base + "/my-training/")
        past = page.locator("section", has=page.locator("#past-heading"))
        table = past.get_by_role("table", name="Your attendance")
        assert table.is_visible()
        assert "Europe/Paris" in table.locator("caption").inner_text()
        assert past.get_by_text("Late", exact=True).is_visible()
        assert past.get_by_text("140", exact=True).is_visible()
        assert past.get_by_text("Completed", exact=True).is_visible()
        assert past.get_by_role("link", name="Certificate").first.is_visible()
        _fits(page, "My training at 375px")
        assert watch.problems == []
        context.close()

        context, page, watch = _open(browser, width=375)
        _sign_in(page, base, "auditor")
        page.goto(base + "/manage/learners/")
        page.get_by_role("link", name="Record").first.click()
        page.wait_for_url(f"{base}/compliance/learners/{learner.pk}/")
        assert page.get_by_role("heading", name="History").is_visible()
        history = page.locator("section", has=page.locator("#history-heading"))
        assert history.get_by_text(f"attendance.Registration #{registration.pk}").first.is_visible()
        _fits(page, "the learner record at 375px")

        page.goto(f"{base}/sessions/{session.pk}/roster/")
        row_history = page.locator("details.row-history").first
        row_history.locator("summary").click()
        # Loaded when opened (htmx), in place of the link to the filtered log.
        row_history.locator(".history").wait_for()
        assert row_history.get_by_text("Created").first.is_visible()
        _fits(page, "the roster with a registration's history open at 375px")
        assert watch.problems == []
        context.close()
