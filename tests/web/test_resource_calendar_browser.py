"""The resource calendar in real Chromium (see tests/web/test_browser.py for the set-up): a
coordinator opens a room week, moves a block into a conflict with the keyboard, sees the
refusal with free slots, applies one and sees the new time; axe-core is clean at 1280 px and
375 px, and the page never scrolls sideways on a phone (the timeline scrolls inside itself)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests import factories
from tests.conftest import at
from tests.web.test_browser import PageWatch, _assert_accessible, _sign_in
from tests.web.test_browser import browser as browser  # the shared fixture
from tms.models import Profile

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def week(schedule: Any, coordinator: Any, room: Any) -> dict[str, Any]:
    Profile.objects.create(user=coordinator, time_zone="America/New_York")
    room.name = "Atlas"
    room.setup_buffer_minutes = 15
    room.save()
    mine = schedule(status="scheduled")  # Mon 4 Mar 2030 09:00-12:00 Paris
    other = factories.InstructorFactory(user__first_name="Grace", user__last_name="Hopper")
    theirs = schedule([(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], instructors=[other])
    factories.RoomClosureFactory(
        room=factories.RoomFactory(site=room.site, name="Boole"),
        starts_at=at("2030-03-05", "08:00"),
        ends_at=at("2030-03-05", "18:00"),
        reason="Painting",
    )
    return {"mine": mine, "theirs": theirs, "room": room}


def _open_in_new_york(browser: Any, width: int) -> tuple[Any, Any, PageWatch]:
    """A browser in New York (the coordinator also chose that zone in their settings), so times
    show in EST/EDT with the Paris session time beside them."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="America/New_York"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", [1280, 375])
def test_coordinator_moves_a_block_into_a_conflict_and_applies_a_suggested_slot(
    browser: Any, live_server: Any, week: dict[str, Any], width: int
) -> None:
    base = live_server.url
    mine, theirs = week["mine"], week["theirs"]
    context, page, watch = _open_in_new_york(browser, width)
    _sign_in(page, base, "coordinator")

    if width == 375:
        page.goto(base + "/calendar/resources/")
    else:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Resources").click()
    page.get_by_label("Date").fill("2030-03-04")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*date=2030-03-04.*"))
    timeline = page.get_by_role("region", name="Timeline")
    assert "Mon 4 Mar" in timeline.inner_text()
    assert "America/New_York" in page.locator("#timeline-zone").inner_text()
    assert page.get_by_text("Closed: Painting", exact=False).count() == 1
    _no_sideways_scroll(page, f"the resource week at {width}px")
    _assert_accessible(page, f"the resource week at {width}px")

    # Keyboard: focus the block's link and press Enter.
    block_link = timeline.get_by_role("link", name=re.compile(f"session #{mine.pk},"))
    block_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/move/\?back=.*"))
    page.get_by_label("Date").fill("2030-03-06")
    page.get_by_role("button", name="Save changes").click()
    refusal = page.locator("#move-refusal")
    refusal.get_by_text(f"already booked by session #{theirs.pk}").wait_for()
    suggestions = page.locator("#suggestions")
    first = suggestions.get_by_role("button", name=re.compile(r"Move to Wed 13 Mar 2030"))
    assert suggestions.get_by_role("button").count() == 5
    _no_sideways_scroll(page, f"the refused move at {width}px")
    _assert_accessible(page, f"the refused move with suggestions at {width}px")

    first.click()
    page.wait_for_url(re.compile(r".*/calendar/resources/\?.*date=2030-03-13.*"))
    # 09:00 in Paris is 04:00 in New York (EDT since 10 Mar), both named.
    page.get_by_text(
        "Block moved to Wed 13 Mar 2030, 04:00\N{EN DASH}07:00 EDT "
        "(09:00\N{EN DASH}12:00 CET session time)."
    ).wait_for()
    moved = page.get_by_role("region", name="Timeline").get_by_role(
        "link", name=re.compile(f"session #{mine.pk}, Wed 13 Mar, 04:00.+09:00.+CET session time")
    )
    assert moved.count() == 1
    _assert_accessible(page, f"the resource week after the move at {width}px")
    block = mine.blocks.get()
    assert block.starts_at == at("2030-03-13", "09:00")

    # The refused move answers 409 Conflict on purpose; the browser logs any 4xx page load.
    assert [p for p in watch.problems if "status of 409 (Conflict)" not in p] == []
    context.close()
