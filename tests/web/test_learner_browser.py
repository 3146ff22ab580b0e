"""Real Chromium against `live_server`: a learner finds a course's dates in the catalog, follows
a missing prerequisite to that course's sessions, and sees their bookings on the home page; a
coordinator gives a free seat to a chosen waitlisted learner with a reason and messages
everyone registered from the roster. axe-core checks each page (no serious or critical
violations) at 1280 px and at 375 px, where no page may scroll sideways.

Same launch and skip rules as tests/web/test_browser.py (Debian's chromium, no download).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from attendance.models import Registration, RegistrationStatus, RosterMessage, WaitlistPromotion
from attendance.services.registration import registration_create
from scheduling.models import Session
from tests import factories
from tests.conftest import NOW, at
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser


def _person(username: str, first: str) -> Any:
    return factories.UserFactory(
        username=username, first_name=first, last_name="Example-Longname", role="Learner"
    )


@pytest.fixture
def world(schedule: Any, course: Any) -> dict[str, Any]:
    """`course` (Workplace safety) on 2030-03-04 with one seat held and three waiting (Ada
    third), its capacity since raised to 2; an advanced course needing Basics; an offer for
    Ada."""
    ada = _person("ada", "Ada")
    safety = schedule(status="scheduled", capacity=1)
    for person in [_person("ben", "Ben"), _person("cat", "Cat"), _person("dan", "Dan"), ada]:
        registration_create(session_id=safety.pk, learner=person, now=NOW)
    Session.objects.filter(pk=safety.pk).update(capacity=2)

    def dated(day: str, the_course: Any, capacity: int = 12) -> Session:
        return schedule(  # type: ignore[no-any-return]
            [(at(day, "09:00"), at(day, "12:00"))],
            the_course=the_course,
            status="scheduled",
            capacity=capacity,
            rooms=[factories.RoomFactory()],
            instructors=[factories.InstructorFactory()],
        )

    basics = factories.CourseFactory(code="BAS-1", title="Basics")
    advanced = factories.CourseFactory(code="ADV-2", title="Advanced rigging")
    advanced.prerequisites.add(basics)
    dated("2030-03-06", advanced)
    dated("2030-03-05", basics)
    offered = dated("2030-03-08", factories.CourseFactory(code="AID-1", title="First aid"), 1)
    offer = registration_create(session_id=offered.pk, learner=ada, now=NOW).row()
    Registration.objects.filter(pk=offer.pk).update(
        status=RegistrationStatus.OFFERED, offer_expires_at=at("2030-03-02", "18:00")
    )
    return {"safety": safety, "basics": basics}


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(Path(tempfile.gettempdir()) / f"tms-{name}.png"), full_page=True)


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


def test_learner_pages_and_roster_actions_in_a_browser(
    browser: Any, live_server: Any, world: dict[str, Any], coordinator: Any
) -> None:
    base = live_server.url
    safety = world["safety"]

    # Ada: the catalog by course, a prerequisite followed, her bookings at home.
    context, ada, watch = _open(browser)
    _sign_in(ada, base, "ada")
    home = ada.get_by_role("region", name="Your bookings")
    home.get_by_text("Waitlist, position 3").wait_for()
    home.get_by_text("Accept by").wait_for()
    home.get_by_role("button", name="Accept the seat First aid").wait_for()
    _assert_accessible(ada, "the learner home")
    _shot(ada, "learner-home")
    ada.goto(base + "/catalog/")
    _assert_styled_with_htmx(ada)
    ada.get_by_role("heading", name="Advanced rigging ADV-2").wait_for()
    assert "binding" not in ada.locator("main").inner_text()
    _assert_accessible(ada, "the catalog by course")
    _shot(ada, "catalog-by-course")
    ada.get_by_role("link", name="BAS-1 Basics").click()
    ada.wait_for_url(f"{base}/catalog/?course={world['basics'].pk}")
    ada.get_by_role("button", name="Register for Basics on 5 March 2030").wait_for()
    _assert_accessible(ada, "one course's catalog")
    assert watch.problems == []
    context.close()

    # The coordinator gives the free seat to Dan (second in line) and messages everyone.
    context, staff, watch = _open(browser)
    _sign_in(staff, base, "coordinator")
    staff.goto(f"{base}/sessions/{safety.pk}/roster/")
    staff.get_by_text("1 seat is free").wait_for()
    _assert_accessible(staff, "the roster")
    dan_row = staff.get_by_role("row").filter(has_text="Dan")
    dan_row.get_by_text("Give the seat", exact=False).first.click()
    dan_row.get_by_label("Reason for choosing Dan").fill("Needed for the March audit")
    dan_row.get_by_role("button", name="Give the seat").click()
    staff.get_by_text("has the seat (confirmed)").wait_for()
    staff.get_by_text("Needed for the March audit").wait_for()
    assert WaitlistPromotion.objects.get().registration.learner.username == "dan"
    staff.get_by_text("Message everyone registered").click()
    staff.get_by_label("Everyone registered: confirmed, offered and waitlisted").check()
    staff.get_by_label("Subject").fill("Bring safety shoes")
    staff.get_by_role("textbox", name="Message").fill("Please bring your own safety shoes.")
    staff.get_by_role("button", name="Send the message").click()
    staff.get_by_text("Your message is on its way to 4 learner(s).").wait_for()
    staff.get_by_role("region", name="Messages to the learners").get_by_text(
        "Bring safety shoes"
    ).wait_for()
    assert RosterMessage.objects.get().recipients.count() == 4
    _assert_accessible(staff, "the roster after the actions")
    _shot(staff, "roster-after-actions")
    assert watch.problems == []
    context.close()

    # At 375 px: no sideways scrolling, axe-clean.
    context, phone, watch = _open(browser, width=375)
    _sign_in(phone, base, "ada")
    _no_sideways_scroll(phone, "the learner home at 375px")
    _assert_accessible(phone, "the learner home at 375px")
    _shot(phone, "phone-learner-home")
    for path in ("/catalog/", f"/catalog/?course={world['basics'].pk}"):
        phone.goto(base + path)
        _no_sideways_scroll(phone, f"{path} at 375px")
        _assert_accessible(phone, f"{path} at 375px")
        _shot(phone, "phone-catalog")
    context.close()
    context, phone, watch = _open(browser, width=375)
    _sign_in(phone, base, "coordinator")
    phone.goto(f"{base}/sessions/{safety.pk}/roster/")
    _no_sideways_scroll(phone, "the roster at 375px")
    _assert_accessible(phone, "the roster at 375px")
    _shot(phone, "phone-roster")
    assert watch.problems == []
    context.close()
