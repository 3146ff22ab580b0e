"""In Chromium: a coordinator changes the lead instructor together with the time on the
timeline's move form, and the session page's refused move offers free slots to apply;
axe-core is clean on both pages at 1280 px and 375 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from scheduling.models import AssignmentRole
from tests import factories
from tests.conftest import at
from tests.web.test_browser import PageWatch, _assert_accessible, _sign_in
from tests.web.test_browser import browser as browser  # the shared fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _page(browser: Any, width: int) -> tuple[Any, Any, PageWatch]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


@pytest.mark.parametrize("width", [1280, 375])
def test_coordinator_replaces_the_lead_while_moving_the_block(
    browser: Any, live_server: Any, schedule: Any, coordinator: Any, course: Any, width: int
) -> None:
    session = schedule(status="scheduled")  # Mon 4 Mar 2030 09:00-12:00 Paris
    block = session.blocks.get()
    stand_in = factories.InstructorFactory(user__first_name="Sam", user__last_name="Stand-in")
    factories.QualificationFactory(instructor=stand_in, course=course)
    context, page, watch = _page(browser, width)
    _sign_in(page, live_server.url, "coordinator")

    page.goto(
        live_server.url + reverse("scheduling:timeline-block-move", args=[session.pk, block.pk])
    )
    _assert_accessible(page, f"the move form with instructor pickers at {width}px")
    page.get_by_label("Date").fill("2030-03-13")
    page.get_by_label("Lead instructor").select_option(label="Sam Stand-in")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r".*/calendar/resources/\?.*date=2030-03-13.*"))
    page.get_by_text("Block moved to Wed 13 Mar 2030", exact=False).wait_for()

    block.refresh_from_db()
    assert block.starts_at == at("2030-03-13", "09:00")
    assert [(a.instructor_id, a.role) for a in session.assignments.all()] == [
        (stand_in.pk, AssignmentRole.LEAD)
    ]
    assert watch.problems == []
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_the_session_pages_refused_move_offers_slots_to_apply(
    browser: Any, live_server: Any, schedule: Any, coordinator: Any, width: int
) -> None:
    mine = schedule(status="scheduled")
    other = factories.InstructorFactory()
    theirs = schedule([(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], instructors=[other])
    block = mine.blocks.get()
    context, page, watch = _page(browser, width)
    _sign_in(page, live_server.url, "coordinator")

    page.goto(live_server.url + reverse("scheduling:block-move", args=[mine.pk, block.pk]))
    page.get_by_label("Date").fill("2030-03-06")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text(f"already booked by session #{theirs.pk}", exact=False).first.wait_for()
    suggestions = page.locator("#suggestions")
    assert suggestions.get_by_role("button").count() == 5
    _assert_accessible(page, f"the session page's refused move at {width}px")

    suggestions.get_by_role("button", name=re.compile(r"Move to Wed 13 Mar 2030")).click()
    page.wait_for_url(re.compile(rf".*/sessions/{mine.pk}/$"))
    page.get_by_text("Block moved.").wait_for()
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-13", "09:00")
    assert [p for p in watch.problems if "status of 409 (Conflict)" not in p] == []
    context.close()
