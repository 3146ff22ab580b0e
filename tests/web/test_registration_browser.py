"""Real Chromium against `live_server`, one test: a learner takes the last seat, a second
learner joins the waitlist, the first cancels, the worker's promotion runs and the second
learner's "My training" shows the confirmed seat. axe-core checks every new page (no serious
or critical violations) and a phone-width pass checks none scrolls sideways. Screenshots go to
the temporary folder (/tmp/tms-*.png).

Same launch and skip rules as tests/web/test_browser.py (Debian's chromium, no download).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from attendance.models import Registration, RegistrationStatus
from attendance.services.registration import course_waitlist_join, registration_create
from attendance.tokens import course_waitlist_token, offer_token
from scheduling.models import Session, WaitlistPolicy
from tests import factories
from tests.conftest import NOW, at
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The Chromium launched (and skipped without it) exactly as for the scheduling pages.
browser = shared.browser
SHOTS = Path(tempfile.gettempdir())


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"tms-{name}.png"), full_page=True)


@pytest.fixture
def one_seat(schedule: Any) -> Session:
    """A published session with one seat; a freed seat is confirmed automatically."""
    session = schedule(status="scheduled", capacity=1)
    assert session.waitlist_policy == WaitlistPolicy.AUTO_CONFIRM
    return session


def test_a_waitlisted_learner_is_promoted_when_the_first_cancels(
    browser: Any,
    live_server: Any,
    one_seat: Session,
    course: Any,
    busy: dict[str, Any],
    coordinator: Any,
) -> None:
    base = live_server.url
    factories.UserFactory(username="ada", first_name="Ada", last_name="Byron", role="Learner")
    factories.UserFactory(username="bob", first_name="Bob", last_name="Stone", role="Learner")
    detail = f"{base}/sessions/{one_seat.pk}/"

    # Ada finds the session in the catalog and takes the only seat.
    ada_context, ada, ada_watch = _open(browser)
    _sign_in(ada, base, "ada")
    ada.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    ada.wait_for_url(base + "/catalog/")
    _assert_styled_with_htmx(ada)
    results = ada.locator("#results")
    results.get_by_text("1 seat left").wait_for()
    ada.get_by_role("searchbox", name="Search").fill(
        "safety"
    )  # htmx narrows the results as she types
    ada.wait_for_url(re.compile(r".*q=safety.*"))
    assert ada.locator("#result-count").inner_text().strip() == "1 course with open sessions"
    _assert_accessible(ada, "the catalog")
    _shot(ada, "catalog")
    results.get_by_role("heading", name=re.compile(course.title)).wait_for()
    results.locator(f'a[href="/sessions/{one_seat.pk}/"]').click()
    ada.wait_for_url(detail)
    _assert_accessible(ada, "the session page (learner, open)")
    ada.get_by_role("button", name="Register").click()
    ada.wait_for_url(detail)
    ada.get_by_text("You are registered: your seat is confirmed.").wait_for()
    ada.get_by_text("Full — nobody on the waitlist yet").wait_for()
    _shot(ada, "session-registered")

    # Bob, in another browser, joins the waitlist.
    bob_context, bob, bob_watch = _open(browser)
    _sign_in(bob, base, "bob")
    bob.goto(detail)
    bob.get_by_role("button", name="Join the waitlist").click()
    bob.wait_for_url(detail)
    bob.get_by_text("you were added to the waitlist at position 1").wait_for()
    bob.get_by_text("You are on the waitlist at position 1.").wait_for()
    _assert_accessible(bob, "the session page (learner, waitlisted)")
    _shot(bob, "session-waitlisted")
    bob.get_by_role("navigation", name="Main").get_by_role("link", name="My training").click()
    bob.wait_for_url(base + "/my-training/")
    waiting = bob.get_by_role("region", name="On the waitlist")
    waiting.get_by_text("Position 1").wait_for()
    _assert_accessible(bob, "My training (waitlisted)")

    # Ada cancels from "My training".
    ada.goto(base + "/my-training/")
    upcoming = ada.get_by_role("region", name="Upcoming")
    upcoming.get_by_text("Cancel").first.click()  # opens the <details>
    upcoming.get_by_label("Reason").fill("Double-booked")
    upcoming.get_by_role("button", name="Cancel my place").click()
    ada.wait_for_url(base + "/my-training/")
    ada.get_by_text("Your place in Workplace safety is cancelled.").wait_for()
    _assert_accessible(ada, "My training (after cancelling)")

    # Ada's seat went to Bob in the same transaction: no worker needed.
    promoted = Registration.objects.get(session=one_seat, status=RegistrationStatus.CONFIRMED)
    assert promoted.learner.username == "bob"

    bob.reload()
    upcoming = bob.get_by_role("region", name="Upcoming")
    upcoming.get_by_role("link", name=course.title).wait_for()
    assert "Confirmed" in upcoming.inner_text()
    assert "You are not waiting for any session." in bob.locator("main").inner_text()
    _shot(bob, "my-training-promoted")
    assert Registration.objects.get(learner__username="bob").status == RegistrationStatus.CONFIRMED

    assert ada_watch.problems == []
    assert bob_watch.problems == []
    ada_context.close()
    bob_context.close()

    _phone_pass(browser, base, busy)


@pytest.fixture
def busy(schedule: Any) -> dict[str, Any]:
    """Another course: a full session with a waitlist, an offer waiting for `olga`, and
    outbox rows."""
    first_aid = factories.CourseFactory(code="AID-1", title="First aid")
    session = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        the_course=first_aid,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        status="scheduled",
        capacity=2,
    )
    people = [
        factories.UserFactory(
            username=f"learner-{n}",
            first_name=name,
            last_name="Example-Longname",
            role="Learner",
        )
        for n, name in enumerate(["Ann", "Ben", "Cat", "Dan"])
    ]
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    offered_session = schedule(
        [(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
        the_course=first_aid,
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        status="scheduled",
        capacity=1,
    )
    olga = factories.UserFactory(username="olga", first_name="Olga", role="Learner")
    offer = registration_create(session_id=offered_session.pk, learner=olga, now=NOW)
    Registration.objects.filter(pk=offer.registration_id).update(
        status=RegistrationStatus.OFFERED, offer_expires_at=at("2030-03-02", "09:00")
    )
    # Olga also waits for a seat in the full session, and for any date of first aid.
    waiting = registration_create(session_id=session.pk, learner=olga, now=NOW).row()
    entry = course_waitlist_join(course_id=first_aid.pk, learner=olga, now=NOW)
    return {"session": session, "offer": offer.row(), "waiting": waiting, "entry": entry}


def _phone_pass(browser: Any, base: str, busy: dict[str, Any]) -> None:
    """Every new page at 375px: no sideways scrolling, no serious axe findings."""
    session = busy["session"]
    token = offer_token(busy["offer"].pk, "accept")

    def check(page: Any, path: str, name: str) -> None:
        page.goto(base + path)
        _assert_styled_with_htmx(page)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
        _assert_accessible(page, f"{path} at 375px")
        _shot(page, f"phone-{name}")

    staff_context, staff, staff_watch = _open(browser, width=375)
    _sign_in(staff, base, "coordinator")
    check(staff, f"/sessions/{session.pk}/", "session-coordinator")
    check(staff, f"/sessions/{session.pk}/roster/", "roster")
    check(staff, f"/sessions/{session.pk}/enrol/bulk/", "bulk-enrol")
    staff.get_by_label("Email addresses").fill("learner-0@example.org\nghost@example.org")
    staff.get_by_role("button", name="Enrol").click()
    staff.get_by_text("Unknown — no account uses these addresses").wait_for()
    _assert_accessible(staff, "the bulk enrolment report")
    _shot(staff, "phone-bulk-report")
    check(staff, "/messages/", "ledger")
    check(staff, "/sessions/", "session-list")
    assert staff_watch.problems == []
    staff_context.close()

    learner_context, learner, learner_watch = _open(browser, width=375)
    _sign_in(learner, base, "olga")
    check(learner, "/catalog/", "catalog")
    check(learner, f"/sessions/{busy['offer'].session_id}/", "session-offered")
    check(learner, "/my-training/", "my-training")
    check(learner, f"/offers/{token}/", "offer-link")
    learner.get_by_role("button", name="Accept the seat").click()
    learner.wait_for_url(base + "/my-training/")
    learner.get_by_text("You accepted the seat").wait_for()
    leave = offer_token(busy["waiting"].pk, "leave")
    check(learner, f"/offers/{leave}/", "waitlist-leave-link")
    check(learner, f"/course-waitlist/links/{course_waitlist_token(busy['entry'].pk)}/", "any-date")
    learner.get_by_role("button", name="Leave the waitlist").click()
    learner.wait_for_url(base + "/my-training/")
    learner.get_by_text("You left the any-date waitlist").wait_for()
    check(learner, "/offers/not-a-token/", "offer-invalid")
    # The only console error allowed is the invalid link's own 400 response.
    assert [p for p in learner_watch.problems if "status of 400" not in p] == []
    learner_context.close()

    # Desktop screenshots of the coordinator's pages, for a look.
    wide_context, wide, _watch = _open(browser)
    _sign_in(wide, base, "coordinator")
    for path, name in (
        (f"/sessions/{session.pk}/", "session-coordinator"),
        ("/messages/", "ledger"),
    ):
        wide.goto(base + path)
        _shot(wide, f"desktop-{name}")
    wide_context.close()
