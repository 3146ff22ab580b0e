"""Real Chromium (Debian's `chromium`, driven by Playwright) against `live_server`.

The coordinator signs in, fills the session form for a slot whose room is already booked,
sees the conflict naming the other session, changes the room and saves. axe-core checks the
sign-in page, the form, the session page and the list; a phone-width pass checks the layout
does not scroll sideways. The pages run under the real Content-Security-Policy, and any
violation the browser reports fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from scheduling.models import Session
from tests import factories
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; restore the roles (groups) the migrations created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip(
            "Chromium is not on PATH: install Debian's chromium "
            "(apt-get install --no-install-recommends chromium) to run the browser tests"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there
    # unless told that this (test-only) use is fine.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageWatch:
    """Collects CSP violations and script errors the browser reports."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            self.problems.append(f"console {message.type}: {text}")


def _open(browser: Any, width: int = 1280) -> tuple[Any, Any, PageWatch]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, PageWatch(page)


def _sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    assert page.url.startswith(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/")


def _assert_accessible(page: Any, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"axe on {what}: {serious}"


def _assert_styled_with_htmx(page: Any) -> None:
    # CSS and htmx load from our own static files under the CSP.
    assert page.evaluate("typeof window.htmx") == "object"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(245, 247, 250)"


@pytest.fixture
def world(booked: Session, course: Any, coordinator: Any) -> dict[str, Any]:
    """`booked` holds `room` on 2030-03-04 09:00-12:00 Paris; a second room and a second
    qualified instructor are free then."""
    free_room = factories.RoomFactory(name="Garden Room", capacity=20)
    teacher = factories.InstructorFactory(user__first_name="Ada", user__last_name="Lovelace")
    factories.QualificationFactory(instructor=teacher, course=course)
    return {"booked": booked, "free_room": free_room, "teacher": teacher}


def test_coordinator_schedules_a_session_after_seeing_the_conflict(
    browser: Any, live_server: Any, world: dict[str, Any], room: Any, course: Any
) -> None:
    base = live_server.url
    booked = world["booked"]
    context, page, watch = _open(browser)

    page.goto(base + "/accounts/login/")
    _assert_styled_with_htmx(page)
    _assert_accessible(page, "the sign-in page")
    _sign_in(page, base, "coordinator")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New session").click()
    page.wait_for_url(base + "/sessions/new/")
    page.get_by_label("Course").select_option(label=str(course))
    page.get_by_label("In a room (ILT)").check()
    page.get_by_label("Capacity").fill("12")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.locator("#id_blocks-0-date").fill("2030-03-04")
    page.locator("#id_blocks-0-starts").fill("10:00")
    page.locator("#id_blocks-0-ends").fill("12:00")
    page.locator("#id_blocks-0-room").select_option(str(room.pk))
    page.get_by_label("Lead instructor").select_option(label="Ada Lovelace")

    # A second row comes from the server (htmx) and can be removed again.
    page.get_by_role("button", name="Add another block").click()
    page.locator("#id_blocks-1-date").wait_for()
    assert page.locator("#id_blocks-TOTAL_FORMS").input_value() == "2"
    # Keyboard users land in the new row.
    page.wait_for_function("document.activeElement.id === 'id_blocks-1-date'")
    page.get_by_role("button", name="Remove block 2").click()
    assert page.locator("#id_blocks-1-date").count() == 0

    page.get_by_role("button", name="Check for conflicts").click()
    report = page.locator("#check-report")
    report.get_by_text("already booked by session").wait_for()
    assert f"session #{booked.pk} ({course.code})" in report.inner_text()
    assert report.get_by_role("link", name=f"View session #{booked.pk}").count() == 1
    assert Session.objects.count() == 1  # checking wrote nothing
    _assert_accessible(page, "the session form with a conflict report")

    page.locator("#id_blocks-0-room").select_option(str(world["free_room"].pk))
    page.get_by_role("button", name="Check for conflicts").click()
    report.get_by_text("No conflicts").wait_for()

    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/sessions/\d+/$"))
    created = Session.objects.exclude(pk=booked.pk).get()
    assert page.url == f"{base}/sessions/{created.pk}/"
    assert page.get_by_role("heading", level=1).inner_text() == course.title
    page.get_by_text(f"Draft session #{created.pk} saved.").wait_for()
    assert created.blocks.get().room == world["free_room"]
    _assert_accessible(page, "the session page")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    page.wait_for_url(base + "/sessions/")
    page.get_by_label("Status").select_option("draft")  # htmx swaps the results
    page.wait_for_url(re.compile(r".*status=draft.*"))
    page.locator("#results").get_by_role("link", name=course.title).wait_for()
    assert page.locator("#result-count").inner_text().strip() == "1 session"
    _assert_accessible(page, "the session list")

    assert watch.problems == []
    context.close()


def test_pages_fit_a_phone_screen(browser: Any, live_server: Any, world: dict[str, Any]) -> None:
    base = live_server.url
    booked = world["booked"]
    context, page, watch = _open(browser, width=375)

    def fits(path: str) -> None:
        page.goto(base + path)
        _assert_styled_with_htmx(page)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"

    fits("/accounts/login/")
    _sign_in(page, base, "coordinator")
    for path in (
        "/",
        "/sessions/",
        "/sessions/new/",
        f"/sessions/{booked.pk}/",
        "/accounts/settings/",
    ):
        fits(path)
        _assert_accessible(page, f"{path} at 375px")
    assert watch.problems == []
    context.close()
