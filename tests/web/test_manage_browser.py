"""Real Chromium on the management pages: a coordinator searches the rooms (htmx swaps the
results), tries a closure over a booked session and sees it refused naming the session, and
picks a learner by name on the roster from the server's suggestions. axe-core checks the pages
at 1280 px and 375 px (no sideways scrolling on a phone); CSP violations fail the test."""

from __future__ import annotations

from typing import Any

import pytest

from attendance.models import Registration
from scheduling.models import Session
from tests import factories
from tests.web.test_browser import _assert_accessible, _open, _sign_in, browser  # noqa: F401
from venues.models import RoomClosure

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def world(booked: Session, room: Any, coordinator: Any) -> dict[str, Any]:
    factories.RoomFactory(name="Garden Room", site=room.site)
    learner = factories.UserFactory(
        first_name="Grace", last_name="Hopper", email="grace@example.org", role="Learner"
    )
    return {"booked": booked, "room": room, "learner": learner}


def test_a_coordinator_manages_rooms_and_closures_and_enrols_by_name(
    browser: Any,  # noqa: F811
    live_server: Any,
    world: dict[str, Any],
) -> None:
    base = live_server.url
    room, booked = world["room"], world["booked"]
    context, page, watch = _open(browser)
    _sign_in(page, base, "coordinator")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Manage").click()
    page.wait_for_url(base + "/manage/")
    _assert_accessible(page, "the manage hub")
    page.get_by_role("link", name="Rooms", exact=True).click()
    page.wait_for_url(base + "/manage/rooms/")
    page.get_by_role("searchbox", name="Search").fill("garden")  # htmx asks for the matching rows
    page.wait_for_url("**/manage/rooms/?q=garden")
    page.locator("#results").get_by_text("1 found").wait_for()
    assert str(room) not in page.locator("#results").inner_text()
    _assert_accessible(page, "the room list")

    page.goto(base + "/manage/closures/new/")
    page.get_by_label("Room", exact=True).select_option(str(room.pk))
    page.get_by_label("Closed from").fill("2030-03-04T11:00")
    page.get_by_label("Closed until").fill("2030-03-04T13:00")
    page.get_by_label("Reason").fill("Leak")
    page.get_by_role("button", name="Save").click()
    page.get_by_text(f"Sessions: #{booked.pk}").wait_for()
    assert not RoomClosure.objects.exists()
    _assert_accessible(page, "the closure form with a refusal")

    page.goto(base + f"/sessions/{booked.pk}/roster/")
    page.get_by_label("Learner's name or email").press_sequentially("grace")
    choice = page.get_by_label("Grace Hopper · grace@example.org")
    choice.wait_for()
    choice.check()
    _assert_accessible(page, "the roster with suggestions")
    page.get_by_role("button", name="Enrol").click()
    page.get_by_text("Grace Hopper is enrolled (confirmed).").wait_for()
    assert Registration.objects.get().learner == world["learner"]

    # The refused closure is answered 409 on purpose, which Chromium logs; nothing else.
    assert watch.problems == [
        "console error: Failed to load resource: the server responded with a status of 409 "
        "(Conflict)"
    ]
    context.close()


def test_management_pages_fit_a_phone_screen(
    browser: Any,  # noqa: F811
    live_server: Any,
    world: dict[str, Any],
) -> None:
    base = live_server.url
    factories.RoomClosureFactory(room=world["room"])
    context, page, watch = _open(browser, width=375)
    _sign_in(page, base, "coordinator")
    for path in ("/manage/", "/manage/rooms/", "/manage/closures/", "/manage/courses/new/"):
        page.goto(base + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        _assert_accessible(page, f"{path} at 375px")
    assert watch.problems == []
    context.close()
