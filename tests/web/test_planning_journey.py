"""The planning workspace end to end in real Chromium (set-up as in tests/web/test_browser.py),
at 1280 px and 375 px:

1. an instructor subscribes to their teaching (the subscriptions page shows the feed's URL
   once) and adds an unavailability on "My calendar", and sees it there;
2. a coordinator opens the resource week, moves the instructor's block onto a day its room is
   taken, sees the move refused naming the other session, with free slots that skip the week
   the instructor just blocked, and applies the first one;
3. the instructor's feed, fetched again over HTTP as a calendar app would (its old ETag no
   longer matches), places the block at the new time, for icalendar, vobject and ical.js alike,
   with a higher SEQUENCE.
"""

from __future__ import annotations

import re
import urllib.request
from typing import Any

import icalendar
import pytest

from instructors.models import Unavailability
from notifications.ical import block_uid
from tests import factories
from tests.calendar_clients import every_client_reads, icalendar_reads
from tests.conftest import at
from tests.web.test_browser import PageWatch, _assert_accessible, _sign_in
from tests.web.test_browser import browser as browser  # the shared fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def plan(schedule: Any, room: Any) -> dict[str, Any]:
    room.name = "Atlas"
    room.save()
    taught = schedule(status="scheduled")  # Mon 4 Mar 2030 09:00-12:00 Paris, our instructor
    other = factories.InstructorFactory(user__first_name="Grace", user__last_name="Hopper")
    rival = schedule([(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], instructors=[other])
    return {"taught": taught, "rival": rival}


def _open(browser: Any, width: int) -> tuple[Any, Any, PageWatch]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _fetch(url: str, etag: str | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as answer:
        return answer.code, "", dict(answer.headers)


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("width", [1280, 375])
def test_unavailability_a_refused_move_a_suggested_slot_and_the_feed_follows(
    browser: Any,
    live_server: Any,
    plan: dict[str, Any],
    instructor: Any,
    coordinator: Any,
    width: int,
) -> None:
    base = live_server.url
    taught, rival = plan["taught"], plan["rival"]
    block = taught.blocks.get()
    assignment = taught.assignments.get(instructor=instructor)
    uid = block_uid(block.pk, f"a{assignment.pk}")

    # 1. The instructor subscribes, then blocks Wednesday 13 March on their calendar.
    context, page, watch = _open(browser, width)
    _sign_in(page, base, "instructor")
    page.goto(base + "/calendar-feeds/")
    page.get_by_role("button", name=re.compile("Get a subscription link")).click()
    feed_url = page.locator("#feed-url").input_value()
    assert "/feeds/" in feed_url
    webcal = page.get_by_role("link", name=re.compile("webcal")).get_attribute("href")
    assert webcal == "webcal://" + feed_url.split("://", 1)[1]
    feed_url = base + feed_url[feed_url.index("/feeds/") :]  # the live server's own address
    status, before, headers = _fetch(feed_url)
    assert status == 200
    assert icalendar_reads(before)[uid] == (block.starts_at, block.ends_at)

    page.goto(base + "/calendar/mine/?view=week&date=2030-03-13")
    page.get_by_label("Reason").select_option("other_duty")
    page.get_by_label("From (date)").fill("2030-03-13")
    page.get_by_label("From (time)").fill("08:00")
    page.get_by_label("To (date)").fill("2030-03-13")
    page.get_by_label("To (time)").fill("13:00")
    page.get_by_label("Note").fill("Board meeting")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("Your unavailability is saved.").wait_for()
    absence = Unavailability.objects.get(note="Board meeting")
    shown = page.locator(f'[data-key="unavailability-{absence.pk}"]')
    assert "08:00\N{EN DASH}13:00 CET" in shown.inner_text()
    _assert_accessible(page, f"My calendar with the new unavailability at {width}px")
    _no_sideways_scroll(page, f"My calendar at {width}px")
    assert watch.problems == []
    context.close()

    # 2. The coordinator moves the block onto Wednesday 6 March, when the room is taken.
    context, page, watch = _open(browser, width)
    _sign_in(page, base, "coordinator")
    page.goto(base + f"/calendar/resources/?rows=rooms&site={block.room.site_id}&span=week")
    page.get_by_label("Date").fill("2030-03-04")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*date=2030-03-04.*"))
    timeline = page.get_by_role("region", name="Timeline")
    timeline.get_by_role("link", name=re.compile(f"session #{taught.pk},")).click()
    page.wait_for_url(re.compile(r".*/move/\?back=.*"))
    page.get_by_label("Date").fill("2030-03-06")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#move-refusal").get_by_text(f"already booked by session #{rival.pk}").wait_for()
    suggestions = page.locator("#suggestions")
    # Wednesday 13 March is free for the room but not for the instructor: skipped.
    assert suggestions.get_by_role("button", name=re.compile("Wed 13 Mar 2030")).count() == 0
    first = suggestions.get_by_role("button").first
    assert "Wed 20 Mar 2030" in first.inner_text()
    _assert_accessible(page, f"the refused move with suggestions at {width}px")
    _no_sideways_scroll(page, f"the refused move at {width}px")
    first.click()
    page.wait_for_url(re.compile(r".*/calendar/resources/\?.*date=2030-03-20.*"))
    page.get_by_text(re.compile(r"Block moved to Wed 20 Mar 2030, 09:00")).wait_for()
    # The refused move answers 409 Conflict on purpose; Chromium logs any 4xx page it loads.
    assert [p for p in watch.problems if "status of 409 (Conflict)" not in p] == []
    context.close()

    block.refresh_from_db()
    assert (block.starts_at, block.ends_at) == (
        at("2030-03-20", "09:00"),
        at("2030-03-20", "12:00"),
    )

    # 3. The calendar app polls with the ETag it had: the feed changed, at the new time.
    status, after, _ = _fetch(feed_url, etag=headers["ETag"])
    assert status == 200
    for client, (placed,) in every_client_reads([after]).items():
        assert placed[uid] == (block.starts_at, block.ends_at), client
    (event,) = [e for e in icalendar.Calendar.from_ical(after).walk("VEVENT") if e["UID"] == uid]
    (earlier,) = [e for e in icalendar.Calendar.from_ical(before).walk("VEVENT") if e["UID"] == uid]
    assert int(event["SEQUENCE"]) > int(earlier["SEQUENCE"])
    assert event["LAST-MODIFIED"].dt > earlier["LAST-MODIFIED"].dt
