"""Real Chromium against `live_server`: the coordinator finds a room and a lead for a two-day
session, with the reasons for the others, and opens the new-session form filled in. axe-core
at 1280 px and 375 px (the page must not scroll sideways on a phone)."""

from __future__ import annotations

from typing import Any

import pytest

from scheduling.models import Session
from tests import factories
from tests.web import test_browser as shared
from tests.web.test_browser import (
    _assert_accessible,
    _assert_styled_with_htmx,
    _open,
    _sign_in,
)

browser = shared.browser  # the module's Chromium, shared with the other browser tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world(booked: Session, course: Any, coordinator: Any) -> dict[str, Any]:
    """`booked` holds `room` and `instructor` on 2030-03-04 09:00-12:00 Paris; a second room
    and a second qualified instructor are free then."""
    free_room = factories.RoomFactory(name="Garden Room", capacity=20)
    teacher = factories.InstructorFactory(user__first_name="Ada", user__last_name="Lovelace")
    factories.QualificationFactory(instructor=teacher, course=course)
    return {"booked": booked, "free_room": free_room, "teacher": teacher}


def _search(page: Any, course: Any) -> None:
    page.get_by_label("Course").select_option(label=str(course))
    page.get_by_label("Seats").fill("12")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    for index, day in enumerate(["2030-03-04", "2030-03-05"]):
        page.locator(f"#id_blocks-{index}-date").fill(day)
        page.locator(f"#id_blocks-{index}-starts").fill("09:00")
        page.locator(f"#id_blocks-{index}-ends").fill("12:00")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("heading", name="Rooms").wait_for()


@pytest.mark.parametrize("width", [1280, 375])
def test_coordinator_finds_a_room_and_a_lead_for_every_block(
    browser: Any, live_server: Any, world: dict[str, Any], room: Any, course: Any, width: int
) -> None:
    base = live_server.url
    booked = world["booked"]
    context, page, watch = _open(browser, width=width)
    _sign_in(page, base, "coordinator")

    page.goto(base + "/availability/session/")
    _assert_styled_with_htmx(page)
    _assert_accessible(page, f"the empty search at {width}px")
    _search(page, course)

    results = page.locator("section[aria-labelledby=results-heading]")
    assert "Garden Room" in results.locator(".slot-results").first.inner_text()
    page.get_by_text("Rooms left out, and why").click()
    assert f"already booked by session #{booked.pk}" in results.inner_text()
    assert results.get_by_role("link", name=f"Session #{booked.pk}").count() >= 1
    _assert_accessible(page, f"the search results at {width}px")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the search scrolls sideways by {overflow}px at {width}px"

    page.get_by_role("link", name=f"Choose {world['free_room']}").click()
    page.get_by_text("Chosen", exact=True).wait_for()
    page.get_by_role("link", name="Choose as lead Ada Lovelace").click()
    page.get_by_text("Chosen as lead").wait_for()
    page.get_by_role("link", name="Open the new-session form with these").click()
    page.wait_for_url(base + "/sessions/new/?*")
    assert page.locator("#id_blocks-1-date").input_value() == "2030-03-05"
    assert page.locator("#id_blocks-0-room").input_value() == str(world["free_room"].pk)
    assert page.get_by_label("Lead instructor").input_value() == str(world["teacher"].pk)
    _assert_accessible(page, f"the filled-in session form at {width}px")

    # The copy page of the booked session: accessible, fits the screen.
    page.goto(f"{base}/sessions/{booked.pk}/copy/")
    page.get_by_label("New first day").wait_for()
    _assert_accessible(page, f"the copy page at {width}px")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the copy page scrolls sideways by {overflow}px at {width}px"

    assert watch.problems == []
    context.close()
