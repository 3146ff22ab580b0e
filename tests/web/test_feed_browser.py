"""The "Calendar subscriptions" page in real Chromium (see tests/web/test_browser.py): a
coordinator gets a room's feed link with the keyboard-reachable form, at 1280 px and 375 px;
axe-core finds nothing serious, the page does not scroll sideways, the CSP reports nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.web.test_browser import (  # noqa: F401 - `browser` is a fixture
    _assert_accessible,
    _open,
    _sign_in,
    browser,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("width", [1280, 375])
def test_a_coordinator_gets_a_room_feed_link(
    browser: Any,  # noqa: F811
    live_server: Any,
    coordinator: Any,
    width: int,
) -> None:
    room = factories.RoomFactory(name="Salle Curie")
    base = live_server.url
    context, page, watch = _open(browser, width=width)
    _sign_in(page, base, "coordinator")
    page.goto(base + "/calendar-feeds/")
    _assert_accessible(page, f"calendar subscriptions at {width}px")
    page.get_by_label("Room or site").select_option(f"room:{room.pk}")
    page.get_by_role("button", name="Get a subscription link").click()
    url = page.get_by_label("Address (https)").input_value()
    assert "/feeds/" in url
    assert url.endswith(".ics")
    webcal = page.get_by_role("link", name="Open in my calendar app (webcal)")
    assert webcal.get_attribute("href") == "webcal://" + url.split("://", 1)[1]
    _assert_accessible(page, f"the new link at {width}px")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth).map(e => e.tagName + '.' + e.className)"
        ".slice(0, 5).join(', ')"
    )
    assert overflow <= 0, f"scrolls sideways by {overflow}px at {width}px: {wide}"
    # The link is SITE_URL's; the live server answers the same path.
    response = page.request.get(base + "/feeds/" + url.rsplit("/feeds/", 1)[1])
    assert response.status == 200
    assert "BEGIN:VCALENDAR" in response.text()
    assert watch.problems == []
    context.close()
