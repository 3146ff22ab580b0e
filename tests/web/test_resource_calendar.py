"""The coordinator's resource calendar: rows of rooms, instructors or host accounts over a day
or a week, a block moved from it through the session's own service, and the next free slots
offered when a move or a new session conflicts."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import DeliveryMode, Session
from tests import factories
from tests.conftest import at
from tests.web.conftest import inline_code_in
from tms.models import Profile

pytestmark = pytest.mark.django_db

URL = reverse("scheduling:resource-calendar")
DASH = "\N{EN DASH}"


def _get(client, **params):
    return client.get(URL + "?" + urlencode(params))


def _text(response) -> str:
    """The page as words (tags dropped), for asserting what a reader gets."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _move_url(session, back=URL):
    block = session.blocks.get()
    url = reverse("scheduling:timeline-block-move", args=[session.pk, block.pk])
    return url, block


@pytest.fixture
def coordinator_client(page_client, coordinator):
    return page_client(coordinator)


def test_room_rows_show_bookings_with_buffers_closures_and_free_time(
    coordinator_client, schedule, room, course
):
    room.name, room.setup_buffer_minutes, room.teardown_buffer_minutes = "Atlas", 30, 15
    room.save()
    session = schedule(status="scheduled")  # Mon 4 Mar 2030 09:00-12:00 Paris
    closed = factories.RoomFactory(site=room.site, name="Boole")
    factories.RoomClosureFactory(
        room=closed,
        starts_at=at("2030-03-05", "08:00"),
        ends_at=at("2030-03-05", "18:00"),
        reason="Painting",
    )
    factories.RoomFactory(name="Elsewhere")  # another site: not a row

    response = _get(coordinator_client, site=room.site.pk, date="2030-03-06")

    assert response.status_code == 200
    text = _text(response)
    assert "Atlas" in text
    assert "Boole" in text
    assert "Elsewhere" not in text
    assert f"Mon 4 Mar {DASH} Sun 10 Mar 2030" in text
    assert f"{course.title}, session #{session.pk}, Mon 4 Mar, 09:00{DASH}12:00 CET" in text
    assert "Setup 30 min before SAFE-101 (09:00)" in text
    assert "Teardown 15 min after SAFE-101 (12:00)" in text
    assert f"Closed: Painting, Tue 5 Mar, 08:00{DASH}18:00 CET" in text
    assert f"Free Mon 4 Mar 12:15{DASH}20:00" in text  # after the teardown
    assert f"Free Mon 4 Mar 07:00{DASH}08:30" in text  # before the setup
    boole = text.split("Boole")[1]
    assert f"Free Tue 5 Mar 07:00{DASH}08:00" in boole
    assert f"Free Tue 5 Mar 18:00{DASH}20:00" in boole
    assert inline_code_in(response.content.decode()) == []
    # Each block is a link to its move form, back to this week.
    move, _block = _move_url(session)
    assert f'href="{move}?back=' in response.content.decode()


def test_times_are_in_the_viewers_zone_named_with_the_session_time(page_client, schedule, room):
    viewer = factories.UserFactory(username="ny", role="Coordinator")
    Profile.objects.create(user=viewer, time_zone="America/New_York")
    schedule(status="scheduled")
    text = _text(_get(page_client(viewer), site=room.site.pk, date="2030-03-04"))
    assert "Times are in your time zone, America/New_York (EST)" in text
    assert "is in Europe/Paris" in text
    assert f"Mon 4 Mar, 03:00{DASH}06:00 EST (09:00{DASH}12:00 CET session time)" in text


def test_instructor_rows_show_bookings_and_unavailability(
    coordinator_client, schedule, instructor, room
):
    session = schedule(status="scheduled")
    factories.UnavailabilityFactory(
        instructor=instructor,
        starts_at=at("2030-03-06", "00:00"),
        ends_at=at("2030-03-08", "00:00"),
        kind="leave",
        note="Conference",
    )
    text = _text(_get(coordinator_client, rows="instructors", date="2030-03-04"))
    assert str(instructor) in text
    assert (
        f"session #{session.pk}, Mon 4 Mar, 09:00{DASH}12:00 CET, {room.site.name} / {room.name}"
        in text
    )
    assert f"Unavailable: Leave: Conference, Wed 6 Mar, 00:00 {DASH} Fri 8 Mar, 00:00 CET" in text


def test_host_account_rows_show_the_video_calls_they_host(
    coordinator_client, schedule, host_account
):
    session = schedule(mode=DeliveryMode.VILT, host_account=host_account, status="scheduled")
    text = _text(_get(coordinator_client, rows="hosts", date="2030-03-04", span="day"))
    assert host_account.name in text
    assert f"session #{session.pk}, Mon 4 Mar, 09:00{DASH}12:00 CET, Online" in text
    assert "Monday 4 March 2030" in text


def test_filters_mute_other_courses_and_limit_instructors_to_the_qualified(
    coordinator_client, schedule, instructor, room, course
):
    mine = schedule(status="scheduled")
    other_course = factories.CourseFactory(code="FIRE-1", title="Fire wardens")
    other_teacher = factories.InstructorFactory(user__first_name="Grace", user__last_name="Hopper")
    theirs = schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        instructors=[other_teacher],
        the_course=other_course,
    )
    html = _get(coordinator_client, site=room.site.pk, date="2030-03-04", course=course.pk)
    page = html.content.decode()
    # The other course's block stays (the room is busy) but is marked outside the filter.
    theirs_bar = re.search(rf'<li class="([^"]*)"><a href="[^"]*/sessions/{theirs.pk}/', page)
    mine_bar = re.search(rf'<li class="([^"]*)"><a href="[^"]*/sessions/{mine.pk}/', page)
    assert theirs_bar
    assert "tl-muted" in theirs_bar.group(1)
    assert mine_bar
    assert "tl-muted" not in mine_bar.group(1)

    people = _text(
        _get(coordinator_client, rows="instructors", date="2030-03-04", course=other_course.pk)
    )
    assert "Grace Hopper" in people
    assert str(instructor) not in people

    vilt = _get(coordinator_client, site=room.site.pk, date="2030-03-04", mode="vilt")
    assert "tl-muted" in re.search(
        rf'<li class="([^"]*)"><a href="[^"]*/sessions/{mine.pk}/', vilt.content.decode()
    ).group(1)


def test_previous_next_and_today_move_by_the_shown_period(coordinator_client, room):
    page = _get(coordinator_client, site=room.site.pk, date="2030-03-06").content.decode()
    assert "date=2030-02-25" in page
    assert "date=2030-03-11" in page
    day = _get(coordinator_client, site=room.site.pk, date="2030-03-06", span="day")
    assert "date=2030-03-05" in day.content.decode()
    assert "date=2030-03-07" in day.content.decode()
    assert _get(coordinator_client, date="not-a-date").status_code == 400


def _count_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _get(client, **params).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_whatever_the_rows_and_blocks(
    coordinator_client, schedule, room, course, instructor
):
    schedule(status="scheduled")
    _get(coordinator_client)  # the first request after signing in also touches the sign-in session
    few = _count_queries(coordinator_client, site=room.site.pk, date="2030-03-04")
    for i in range(8):
        extra = factories.RoomFactory(site=room.site, capacity=20)
        teacher = factories.InstructorFactory()
        schedule(
            [
                (
                    at(f"2030-03-0{5 + i % 3}", f"{8 + i:02}:00"),
                    at(f"2030-03-0{5 + i % 3}", f"{9 + i:02}:00"),
                )
            ],
            rooms=[extra],
            instructors=[teacher],
        )
        factories.RoomClosureFactory(room=extra, starts_at=at("2030-03-08", "08:00"))
        factories.UnavailabilityFactory(instructor=teacher, starts_at=at("2030-03-09", "08:00"))
    assert _count_queries(coordinator_client, site=room.site.pk, date="2030-03-04") == few
    # Sign-in session, user with profiles, roles, the chosen site, the sites, the rooms, their
    # bookings, their closures, the courses of the filter, the sign-in session's expiry check.
    assert few == 10
    people = _count_queries(
        coordinator_client, rows="instructors", site=room.site.pk, date="2030-03-04"
    )
    assert people == few


def test_auditors_read_the_calendar_without_move_links_and_learners_are_refused(
    page_client, auditor, learner, schedule, room
):
    session = schedule(status="scheduled")
    response = _get(page_client(auditor), site=room.site.pk, date="2030-03-04")
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("scheduling:session-detail", args=[session.pk]) in page
    assert "/move/" not in page
    move, _block = _move_url(session)
    assert page_client(auditor).post(move, {}).status_code == 403
    assert _get(page_client(learner)).status_code == 403


# --- Moving a block -------------------------------------------------------------------------


def test_moving_a_block_from_the_calendar_succeeds_and_shows_the_new_time(
    coordinator_client, schedule, room
):
    session = schedule(status="scheduled")
    move, block = _move_url(session)
    back = f"{URL}?rows=rooms&site={room.site.pk}&span=week&date=2030-03-04"
    form = coordinator_client.get(move, {"back": back})
    assert form.status_code == 200
    assert f"Mon 4 Mar 2030, 09:00{DASH}12:00 CET" in _text(form)

    response = coordinator_client.post(
        move,
        {"date": "2030-03-13", "starts": "14:00", "ends": "16:30", "room": room.pk, "back": back},
        follow=True,
    )

    assert response.redirect_chain[-1][0].endswith("date=2030-03-13")
    text = _text(response)
    assert f"Block moved to Wed 13 Mar 2030, 14:00{DASH}16:30 CET." in text
    assert f"session #{session.pk}, Wed 13 Mar, 14:00{DASH}16:30 CET" in text
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-13", "14:00")


def test_a_conflicting_move_is_refused_naming_the_conflict_with_free_slots_to_apply(
    coordinator_client, schedule, room, course
):
    mine = schedule(status="scheduled")  # Mon 4 Mar 09:00-12:00
    other = factories.InstructorFactory()
    theirs = schedule([(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], instructors=[other])
    schedule([(at("2030-03-13", "10:00"), at("2030-03-13", "11:00"))], instructors=[other])
    move, block = _move_url(mine)

    refused = coordinator_client.post(
        move, {"date": "2030-03-06", "starts": "09:00", "ends": "12:00", "room": room.pk}
    )

    assert refused.status_code == 409
    text = _text(refused)
    assert "The block was not moved" in text
    assert f"is already booked by session #{theirs.pk} ({course.code})" in text
    # 13 Mar is taken too: the first free Wednesday at 09:00 is 20 Mar.
    offered = re.findall(r"Move to (\w{3} \d+ \w{3} 2030, [\d:\u2013]+ CES?T)", text)
    assert offered[:2] == [
        f"Wed 20 Mar 2030, 09:00{DASH}12:00 CET",
        f"Wed 27 Mar 2030, 09:00{DASH}12:00 CET",
    ]
    assert len(offered) == 5
    assert offered[2] == f"Wed 3 Apr 2030, 09:00{DASH}12:00 CEST"  # same wall time after the change
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")  # nothing moved

    applied = coordinator_client.post(
        move,
        {"date": "2030-03-20", "starts": "09:00", "ends": "12:00", "room": room.pk},
        follow=True,
    )
    assert f"Block moved to Wed 20 Mar 2030, 09:00{DASH}12:00 CET." in _text(applied)
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-20", "09:00")


def test_a_move_refused_for_another_reason_offers_no_slots(coordinator_client, schedule, room):
    small = factories.RoomFactory(site=room.site, capacity=2)
    session = schedule(status="scheduled")
    move, _block = _move_url(session)
    response = coordinator_client.post(
        move, {"date": "2030-03-06", "starts": "09:00", "ends": "12:00", "room": small.pk}
    )
    assert response.status_code == 400
    assert "fewer than the session capacity" in _text(response)
    assert "Next free slots" not in _text(response)


def test_a_move_form_with_bad_input_is_a_400_and_moves_nothing(coordinator_client, schedule):
    session = schedule(status="scheduled")
    move, block = _move_url(session)
    response = coordinator_client.post(move, {"date": "soon", "starts": "25:00", "ends": ""})
    assert response.status_code == 400
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    # A foreign "back" is ignored: the page links back to the calendar only.
    page = coordinator_client.get(move, {"back": "https://evil.example/"}).content.decode()
    assert "evil.example" not in page


# --- The new-session form ---------------------------------------------------------------------


def test_a_new_session_that_conflicts_gets_free_weeks_that_fill_the_form(
    coordinator_client, booked, form_data
):
    check = coordinator_client.post(
        reverse("scheduling:session-check"), form_data(), HTTP_HX_REQUEST="true"
    )
    text = _text(check)
    assert "already booked by session" in text
    assert "Free at the same weekday and time" in text
    assert "1 week later: from Mon 11 Mar 2030, 09:00 CET" in text
    assert 'name="shift_weeks" value="1"' in check.content.decode()

    shifted = coordinator_client.post(
        reverse("scheduling:session-plan-shift"), {**form_data(), "shift_weeks": "1"}
    )
    assert shifted.status_code == 200
    page = shifted.content.decode()
    assert 'value="2030-03-11"' in page  # the block's date moved a week
    assert "No conflicts" in _text(shifted)
    assert Session.objects.count() == 1  # nothing saved


def test_a_weekly_plan_moves_its_first_day(coordinator_client, booked, form_data):
    data = form_data(
        schedule="weekly",
        weekly_first_day="2030-03-04",
        weekly_starts="09:00",
        weekly_ends="12:00",
        weekly_occurrences="2",
        weekly_room=booked.blocks.get().room.pk,
    )
    check = coordinator_client.post(reverse("scheduling:session-check"), data)
    assert "1 week later: from Mon 11 Mar 2030, 09:00 CET" in _text(check)
    shifted = coordinator_client.post(
        reverse("scheduling:session-plan-shift"), {**data, "shift_weeks": "1"}
    )
    assert 'value="2030-03-11"' in shifted.content.decode()
    assert "No conflicts" in _text(shifted)
