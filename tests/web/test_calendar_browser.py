"""The calendar pages in real Chromium (Playwright) at 1280 px and 375 px: axe-clean, no
sideways scrolling on a phone, keyboard reaches the period links and the entries, and an
instructor adds unavailability on their calendar and sees it. Skips where Chromium is missing
(see tests/web/test_browser.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from instructors.models import Unavailability
from scheduling.models import Session
from tests import factories
from tests.conftest import at
from tests.web.test_browser import (  # noqa: F401 - `browser` is a fixture
    PageWatch,
    _assert_accessible,
    _sign_in,
    browser,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WEEK = "date=2030-03-04"
# Set CALENDAR_SCREENSHOTS=/some/folder to keep a picture of each page.
SHOTS = os.environ.get("CALENDAR_SCREENSHOTS")


def _open(chromium: Any, width: int = 1280) -> tuple[Any, Any, PageWatch]:
    """A browser in Paris (static/js/app.js tells the server the browser's zone)."""
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


@pytest.fixture
def week(booked: Session, schedule: Any, instructor: Any) -> dict[str, Any]:
    """`booked` (Mon 4 Mar 09:00-12:00 Paris), a late block across midnight on Tuesday, the
    instructor's working hours on Monday and leave on Friday."""
    late = schedule([(at("2030-03-05", "22:00"), at("2030-03-06", "01:00"))], status="scheduled")
    factories.WorkingHoursFactory(instructor=instructor, weekday=0)
    factories.UnavailabilityFactory(
        instructor=instructor,
        starts_at=at("2030-03-08", "13:00"),
        ends_at=at("2030-03-08", "17:00"),
        note="Conference",
    )
    return {"booked": booked, "late": late}


def _tab_to(page: Any, selector: str, limit: int = 80, key: str = "Tab") -> None:
    """Press Tab (or `key`) until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_schedule_views_are_accessible_and_fit(
    browser: Any,  # noqa: F811
    live_server: Any,
    week: dict[str, Any],
    coordinator: Any,
    width: int,
) -> None:
    base = live_server.url
    context, page, watch = _open(browser, width=width)
    _sign_in(page, base, "coordinator")
    for view in ("week", "month", "agenda"):
        page.goto(f"{base}/calendar/?view={view}&{WEEK}")
        page.get_by_role("heading", level=1, name="Calendar").wait_for()
        assert "Europe/Paris (CET)" in page.locator(".lede").inner_text()
        title = week["booked"].course.title
        link = page.locator("main").get_by_role("link", name=f"SAFE-101 {title}").first
        assert link.is_visible(), f"{view} at {width}px: the session is not shown"
        if width == 375 and view == "week":
            # A phone reads the week as an agenda: no hour axis, the days one under another.
            assert not page.locator(".cal-week__axis").is_visible()
        _assert_accessible(page, f"the {view} view at {width}px")
        _no_sideways_scroll(page, f"the {view} view at {width}px")
        _shot(page, f"schedule-{view}-{width}")
    assert watch.problems == []
    context.close()


def test_keyboard_reaches_the_period_links_and_the_entries(
    browser: Any,  # noqa: F811
    live_server: Any,
    week: dict[str, Any],
    coordinator: Any,
) -> None:
    base = live_server.url
    context, page, watch = _open(browser)
    _sign_in(page, base, "coordinator")
    page.goto(f"{base}/calendar/?view=week&{WEEK}")

    _tab_to(page, "a[rel=prev]")
    _tab_to(page, "a[rel=next]")
    _tab_to(page, ".cal-entry a.cal-entry__title")
    focused = page.evaluate("document.activeElement.textContent")
    assert "SAFE-101" in focused
    # Back to the next period's link, and follow it.
    _tab_to(page, "a[rel=next]", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/calendar/?view=week&date=2030-03-11")
    page.get_by_text("Nothing scheduled this week.").wait_for()
    assert watch.problems == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_an_instructor_adds_unavailability_on_their_calendar_and_sees_it(
    browser: Any,  # noqa: F811
    live_server: Any,
    week: dict[str, Any],
    instructor: Any,
    width: int,
) -> None:
    base = live_server.url
    context, page, watch = _open(browser, width=width)
    _sign_in(page, base, "instructor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My calendar").click()
    page.wait_for_url(f"{base}/calendar/mine/")
    page.goto(f"{base}/calendar/mine/?view=week&{WEEK}")
    _assert_accessible(page, f"My calendar at {width}px")
    _no_sideways_scroll(page, f"My calendar at {width}px")

    page.get_by_label("Reason").select_option("other_duty")
    page.get_by_label("From (date)").fill("2030-03-07")
    page.get_by_label("From (time)").fill("09:00")
    page.get_by_label("To (date)").fill("2030-03-07")
    page.get_by_label("To (time)").fill("12:30")
    page.get_by_label("Note").fill("Audit")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Your unavailability is saved.").wait_for()
    absence = Unavailability.objects.get(note="Audit")
    entry = page.locator(f'[data-key="unavailability-{absence.pk}"]')
    assert entry.is_visible()
    assert "09:00\N{EN DASH}12:30 CET" in entry.inner_text()

    # Over Monday's session: refused, naming it.
    page.get_by_label("From (date)").fill("2030-03-04")
    page.get_by_label("From (time)").fill("10:00")
    page.get_by_label("To (date)").fill("2030-03-04")
    page.get_by_label("To (time)").fill("11:00")
    page.get_by_role("button", name="Add", exact=True).click()
    booked = week["booked"]
    page.get_by_role("link", name=f"Session #{booked.pk}: SAFE-101").wait_for()
    _assert_accessible(page, f"the refused unavailability at {width}px")
    _no_sideways_scroll(page, f"the refused unavailability at {width}px")
    _shot(page, f"instructor-week-{width}")
    for view in ("month", "agenda"):
        page.goto(f"{base}/calendar/mine/?view={view}&{WEEK}")
        _assert_accessible(page, f"My calendar ({view}) at {width}px")
        _no_sideways_scroll(page, f"My calendar ({view}) at {width}px")
        _shot(page, f"instructor-{view}-{width}")
    # The refused form came back as a 409 on purpose; Chromium logs any 4xx page it loads.
    refused = "the server responded with a status of 409"
    assert [p for p in watch.problems if refused not in p] == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_learners_agenda_is_accessible_and_fits(
    browser: Any,  # noqa: F811
    live_server: Any,
    booked: Session,
    learner: Any,
    width: int,
) -> None:
    from attendance.services.registration import registration_create
    from tests.conftest import NOW

    registration_create(session_id=booked.pk, learner=learner, now=NOW)
    base = live_server.url
    context, page, watch = _open(browser, width=width)
    _sign_in(page, base, "learner")
    page.goto(f"{base}/my-training/")
    agenda = page.locator("section", has=page.locator("#agenda-heading"))
    assert agenda.get_by_role("link", name="Add to calendar").first.is_visible()
    _assert_accessible(page, f"My training at {width}px")
    _no_sideways_scroll(page, f"My training at {width}px")
    _shot(page, f"my-training-{width}")
    assert watch.problems == []
    context.close()


def test_the_clock_change_weeks_draw_true_lengths(
    browser: Any,  # noqa: F811
    live_server: Any,
    schedule: Any,
    coordinator: Any,
) -> None:
    spring = schedule([(at("2030-03-31", "01:00"), at("2030-03-31", "04:00"))], status="scheduled")
    autumn = schedule([(at("2030-10-27", "01:00"), at("2030-10-27", "04:00"))], status="scheduled")
    base = live_server.url
    context, page, watch = _open(browser)
    _sign_in(page, base, "coordinator")
    heights = {}
    for session, day in ((spring, "2030-03-31"), (autumn, "2030-10-27")):
        page.goto(f"{base}/calendar/?view=week&date={day}")
        key = f"block-{session.blocks.get().pk}"
        entry = page.locator(f'[data-key="{key}"]')
        parts = entry.locator("xpath=following-sibling::li[contains(@class, 'cal-entry--part')]")
        boxes = [entry.bounding_box(), *(parts.nth(i).bounding_box() for i in range(parts.count()))]
        heights[day] = sum(box["height"] for box in boxes)
        _assert_accessible(page, f"the week of {day}")
        _shot(page, f"week-{day}")
    hour = (
        page.locator(".cal-week__axis .cal-hour").nth(1).bounding_box()["y"]
        - (page.locator(".cal-week__axis .cal-hour").nth(0).bounding_box()["y"])
    )
    # Two real hours in spring (01:00-04:00 across the skipped hour), four in autumn.
    assert abs(heights["2030-03-31"] - 2 * hour) < 3
    assert abs(heights["2030-10-27"] - 4 * hour) < 3
    labels = page.locator(".cal-week__axis .cal-hour").all_inner_texts()
    assert labels[:5] == ["00:00", "01:00", "02:00 CEST", "02:00 CET", "03:00"]
    assert watch.problems == []
    context.close()
