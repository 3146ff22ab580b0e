"""Self check-in pages: the learner's `/check-in/` (a GET never writes, the QR code's `?code=`
is filled in), the instructor's panel (the code, the QR code of the check-in URL, htmx polling,
the window's times named), who may open which, and the roster's link to the panel."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from attendance.check_in_views import qr_svg
from attendance.checkin_codes import current_code, window_index
from attendance.models import AttendanceRecord
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db

DURING = at("2030-03-04", "09:02")
PAGE = "/check-in/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _during_the_block() -> Any:
    """The clock stands at 09:02 on the block's day (from before signing in: a session cookie
    made in 2026 would have expired by 2030); tests move it further with nested travels."""
    with time_machine.travel(DURING, tick=False):
        yield


@pytest.fixture
def seated(booked: Any, learner: Any) -> Any:
    registration_create(session_id=booked.pk, learner=learner, now=NOW)
    return booked


@pytest.fixture
def persona(coordinator, auditor, instructor, learner, outsider):  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "instructor": instructor.user,
        "learner": learner,
        "outsider": outsider,
    }


def _panel(session: Any, name: str = "attendance:check-in-panel") -> str:
    return reverse(name, args=[session.pk, session.blocks.get().pk])


# --- The learner's page -------------------------------------------------------------------------


def test_the_qr_link_fills_in_the_code_and_writes_nothing(seated, learner, page_client):
    response = page_client(learner).get(PAGE, {"code": "123456"})

    assert response.status_code == 200
    html = response.content.decode()
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", html).group(0)
    assert 'value="123456"' in field
    assert 'inputmode="numeric"' in field
    assert 'autocomplete="one-time-code"' in field
    assert inline_code_in(html) == []
    assert not AttendanceRecord.objects.exists()


def test_signing_in_from_the_qr_link_comes_back_to_the_code(page_client):
    response = page_client(None).get(PAGE, {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/check-in/%3Fcode%3D123456"


def test_a_learner_checks_in_and_is_told_so(seated, learner, page_client):
    client = page_client(learner)
    with time_machine.travel(DURING, tick=False):
        code = current_code(seated.blocks.get().pk, DURING)
        response = client.post(PAGE, {"code": code}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "You are checked in to Workplace safety at 09:02 CET." in response.content.decode()
    assert AttendanceRecord.objects.get().status == "present"


def test_refusals_are_shown_on_the_field_with_their_status(seated, learner, page_client):
    client = page_client(learner)
    with time_machine.travel(DURING, tick=False):
        code = current_code(seated.blocks.get().pk, DURING)
        wrong = "000000" if code != "000000" else "111111"
        refused = client.post(PAGE, {"code": wrong})
        client.post(PAGE, {"code": code})
        twice = client.post(PAGE, {"code": code})
        empty = client.post(PAGE, {"code": ""})

    assert refused.status_code == 400
    assert "This is not the code of any session of yours now." in refused.content.decode()
    assert 'aria-invalid="true"' in refused.content.decode()
    assert twice.status_code == 409
    assert "You already checked in at 09:02 CET." in twice.content.decode()
    assert empty.status_code == 400
    assert AttendanceRecord.objects.count() == 1


@pytest.mark.parametrize("who", ["coordinator", "auditor", "instructor", "outsider"])
def test_only_learners_have_the_check_in_page(who, persona, page_client):
    client = page_client(persona[who])
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"code": "123456"}).status_code == 403


# --- The instructor's panel ---------------------------------------------------------------------


def test_the_panel_shows_the_current_code_and_polls_for_the_next(seated, instructor, page_client):
    client = page_client(instructor.user)
    block = seated.blocks.get()
    with time_machine.travel(DURING, tick=False):
        response = client.get(_panel(seated))
        part = client.get(_panel(seated, "attendance:check-in-code"), HTTP_HX_REQUEST="true")

    code = current_code(block.pk, DURING)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-code="{code}"' in html
    assert f"{code[:3]} {code[3:]}" in html
    assert "Check-in open 08:45 CET to 12:15 CET." in html
    assert "That is the block and 15 minutes before and after it." in html
    assert "A new code appears at 09:03 CET" in html
    assert "0 of 1 learners checked in." in html
    qr = reverse("attendance:check-in-qr", args=[seated.pk, block.pk])
    assert f'src="{qr}?w={window_index(DURING)}"' in html
    assert 'hx-trigger="every 5s"' in html
    assert inline_code_in(html) == []
    assert part.status_code == 200
    assert part.content.decode().lstrip().startswith('<section id="check-in-code"')
    assert f'data-code="{code}"' in part.content.decode()


def test_the_panel_says_when_check_in_opens_and_shows_no_code_yet(seated, coordinator, page_client):
    with time_machine.travel(at("2030-03-04", "08:30"), tick=False):
        html = page_client(coordinator).get(_panel(seated)).content.decode()
        qr = page_client(coordinator).get(_panel(seated, "attendance:check-in-qr"))
    assert "Check-in opens at 08:45 CET, 15 minutes before the start." in html
    assert "data-code" not in html
    assert 'hx-trigger="every 5s"' in html  # the code appears by itself when it opens
    assert qr.status_code == 404


@pytest.mark.parametrize(
    ("grace", "opens", "closes", "told"),
    [
        (5, "08:55", "12:05", "That is the block and 5 minutes before and after it."),
        (1, "08:59", "12:01", "That is the block and 1 minute before and after it."),
        (0, "09:00", "12:00", "That is the block's own times."),
    ],
)
def test_the_panel_names_the_window_from_the_one_grace_setting(
    seated, coordinator, page_client, settings, grace, opens, closes, told
):
    settings.CHECKIN_GRACE_MINUTES = grace
    client = page_client(coordinator)
    with time_machine.travel(at("2030-03-04", "08:30"), tick=False):
        before = client.get(_panel(seated)).content.decode()
    with time_machine.travel(DURING, tick=False):
        during = client.get(_panel(seated)).content.decode()
    if grace:
        minutes = "1 minute" if grace == 1 else f"{grace} minutes"
        assert f"Check-in opens at {opens} CET, {minutes} before the start." in before
    else:
        assert "Check-in opens at 09:00 CET, when the block starts." in before
    assert f"Check-in open {opens} CET to {closes} CET. {told}" in during


def test_the_panel_says_check_in_closed_and_stops_polling(seated, coordinator, page_client):
    with time_machine.travel(at("2030-03-04", "12:30"), tick=False):
        html = page_client(coordinator).get(_panel(seated)).content.decode()
    assert "Check-in closed at 12:15 CET." in html
    assert "data-code" not in html
    assert "hx-trigger" not in html


def test_the_panel_reads_times_in_the_readers_zone(seated, coordinator, page_client):
    client = page_client(coordinator)
    client.cookies["tz"] = "Europe/London"  # the browser's zone (no zone in their settings)
    with time_machine.travel(DURING, tick=False):
        html = client.get(_panel(seated)).content.decode()
    assert "Check-in open 07:45 GMT to 11:15 GMT." in html


def test_the_qr_code_is_the_check_in_url_with_the_code_drawn_by_segno(
    seated, instructor, page_client
):
    block = seated.blocks.get()
    with time_machine.travel(DURING, tick=False):
        response = page_client(instructor.user).get(
            _panel(seated, "attendance:check-in-qr"), {"w": window_index(DURING)}
        )
    code = current_code(block.pk, DURING)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == qr_svg(f"http://testserver/check-in/?code={code}")
    svg = response.content.decode()
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    # Standalone: no links, images, scripts, styles or URLs but the SVG namespace.
    for forbidden in ("href", "<image", "<script", "style", "url("):
        assert forbidden not in svg
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]


def test_a_stale_window_in_the_qr_url_gets_the_current_code(seated, instructor, page_client):
    block = seated.blocks.get()
    with time_machine.travel(DURING, tick=False):
        stale = page_client(instructor.user).get(
            _panel(seated, "attendance:check-in-qr"), {"w": window_index(DURING) - 5}
        )
    code = current_code(block.pk, DURING)
    assert stale.content == qr_svg(f"http://testserver/check-in/?code={code}")


PANEL_ALLOWED = {"coordinator", "instructor"}


@pytest.mark.parametrize("who", ["coordinator", "auditor", "instructor", "learner", "outsider"])
def test_only_coordinators_and_the_sessions_instructors_see_the_panel(
    who, persona, page_client, seated
):
    client = page_client(persona[who])
    with time_machine.travel(DURING, tick=False):
        for name in ("attendance:check-in-panel", "attendance:check-in-code"):
            response = client.get(_panel(seated, name))
            assert response.status_code == (200 if who in PANEL_ALLOWED else 403), (who, name)
        start = client.get(reverse("attendance:check-in-start", args=[seated.pk]))
    if who in PANEL_ALLOWED:
        assert start["Location"] == _panel(seated)
    else:
        assert start.status_code == 403


def test_an_instructor_of_another_session_does_not_see_the_panel(seated, page_client):
    stranger = factories.InstructorFactory(user__username="stranger")
    with time_machine.travel(DURING, tick=False):
        response = page_client(stranger.user).get(_panel(seated))
    assert response.status_code == 403


def test_the_roster_links_to_the_panel_for_those_who_may_show_the_code(
    seated, persona, page_client
):
    roster = reverse("attendance:roster", args=[seated.pk])
    start = reverse("attendance:check-in-start", args=[seated.pk])
    for who in ("coordinator", "instructor", "auditor"):
        html = page_client(persona[who]).get(roster).content.decode()
        assert (f'href="{start}"' in html) == (who in PANEL_ALLOWED), who


def test_online_sessions_have_no_check_in_panel(schedule, host_account, coordinator, page_client):
    online = schedule(status="scheduled", mode="vilt", host_account=host_account)
    assert page_client(coordinator).get(_panel(online)).status_code == 404
    roster = page_client(coordinator).get(reverse("attendance:roster", args=[online.pk]))
    assert "Show the check-in code" not in roster.content.decode()


def test_the_panel_counts_the_learners_checked_in(seated, learner, instructor, page_client):
    code = current_code(seated.blocks.get().pk, DURING)
    page_client(learner).post(PAGE, {"code": code})
    html = page_client(instructor.user).get(_panel(seated, "attendance:check-in-code")).content
    assert "1 of 1 learner checked in." in html.decode()
