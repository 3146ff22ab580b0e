"""Calendar pages: the coordinator's schedule and an instructor's "My calendar" as a week, a
month and an agenda, in the viewer's zone; instructors add and remove their unavailability."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from instructors.models import Unavailability
from tests import factories
from tests.conftest import at
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db

# Mon 4 Mar 2030, 10:00 in Paris.
TODAY = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def page_client(page_client: Any) -> Any:
    """Signed in from a browser in Paris (static/js/app.js sets the `tz` cookie)."""

    def signed_in(user: Any) -> Any:
        client = page_client(user)
        client.cookies["tz"] = "Europe/Paris"
        return client

    return signed_in


def _page(client: Any, name: str, *args: Any, **params: str) -> Any:
    return client.get(reverse(name, args=args), params)


def _entries(html: str) -> list[str]:
    return re.findall(r'data-key="([^"]+)"', html)


def _many(schedule: Any, count: int, first: int = 0) -> list[Any]:
    """`count` one-hour sessions in the week of 4 Mar 2030 (three a day), all different times
    (the `first`-th slot on)."""
    sessions = []
    for i in range(first, first + count):
        day = dt.date(2030, 3, 4) + dt.timedelta(days=i % 7)
        hour = 8 + 3 * (i // 7)
        start = at(day.isoformat(), f"{hour:02d}:00")
        sessions.append(schedule([(start, start + dt.timedelta(hours=1))], status="scheduled"))
    return sessions


# --- The coordinator's schedule ----------------------------------------------------------------


def test_coordinator_sees_the_week_with_today_marked_and_the_zone_named(
    page_client, coordinator, booked
):
    response = _page(page_client(coordinator), "calendar:schedule")

    assert response.status_code == 200
    html = response.content.decode()
    block = booked.blocks.get()
    assert _entries(html) == [f"block-{block.pk}"]
    assert 'datetime="2030-03-04" aria-current="date"' in html
    assert html.count('aria-current="date"') == 1
    assert "Europe/Paris (CET)" in html  # the browser's zone, named
    assert f'href="{reverse("scheduling:session-detail", args=[booked.pk])}"' in html
    assert "09:00\N{EN DASH}12:00 CET" in html
    assert inline_code_in(html) == []


def test_a_viewer_in_new_york_sees_their_time_and_the_venue_time(page_client, coordinator, booked):
    client = page_client(coordinator)
    client.cookies["tz"] = "America/New_York"

    html = _page(client, "calendar:schedule", view="agenda").content.decode()

    assert "America/New_York (EST)" in html
    assert "03:00\N{EN DASH}06:00 EST" in html
    assert "(09:00\N{EN DASH}12:00 CET at the venue)" in html


@pytest.mark.parametrize("view", ["week", "month", "agenda"])
def test_each_view_lists_the_session_and_links_prev_next_and_the_other_views(
    page_client, coordinator, booked, view
):
    response = _page(page_client(coordinator), "calendar:schedule", view=view, date="2030-03-06")

    html = response.content.decode()
    assert response.status_code == 200
    assert len(_entries(html)) == 1
    previous = "2030-02-01" if view == "month" else "2030-02-25"
    assert f"view={view}&amp;date={previous}" in html
    for other in ("week", "month", "agenda"):
        assert f"view={other}&amp;date=2030-03-06" in html
    assert f'view={view}&amp;date=2030-03-06" aria-current="page"' in html


def test_the_month_lists_a_session_on_the_viewers_local_day(page_client, coordinator, schedule):
    # 23:30-00:30 Paris on Sun 31 Mar is 17:30 on the 31st in New York and 1 April in Tokyo.
    late = schedule([(at("2030-03-31", "23:30"), at("2030-04-01", "00:30"))], status="scheduled")
    block = late.blocks.get()
    client = page_client(coordinator)
    client.cookies["tz"] = "Asia/Tokyo"
    april = _page(client, "calendar:schedule", view="month", date="2030-04-10")
    march = _page(client, "calendar:schedule", view="month", date="2030-03-10")

    assert _entries(april.content.decode()) == [f"block-{block.pk}"]
    assert _entries(march.content.decode()) == []
    client.cookies["tz"] = "Europe/Paris"
    both = _page(client, "calendar:schedule", view="month", date="2030-03-10")
    # Across midnight in Paris: on the 31st of March only (1 April is the next month).
    assert _entries(both.content.decode()) == [f"block-{block.pk}"]
    assert "continues the next day" in both.content.decode()


def test_filters_narrow_the_schedule(page_client, coordinator, booked, schedule):
    other_course = factories.CourseFactory(code="FIRE-1", title="Fire")
    schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "10:00"))],
        the_course=other_course,
        status="scheduled",
    )
    client = page_client(coordinator)
    assert len(_entries(_page(client, "calendar:schedule").content.decode())) == 2
    narrowed = _page(client, "calendar:schedule", course=str(booked.course_id))
    assert _entries(narrowed.content.decode()) == [f"block-{booked.blocks.get().pk}"]
    assert _page(client, "calendar:schedule", course="999999").status_code == 400


@pytest.mark.parametrize(
    "params", [{"date": "2030-02-30"}, {"view": "year"}, {"date": "0001-01-01"}]
)
def test_a_bad_period_is_a_400_not_a_500(page_client, coordinator, params):
    response = _page(page_client(coordinator), "calendar:schedule", **params)
    assert response.status_code == 400
    assert "could not be shown" in response.content.decode()


def test_who_may_see_which_calendar(
    page_client, coordinator, auditor, learner, outsider, instructor
):
    other = factories.InstructorFactory()
    assert _page(page_client(coordinator), "calendar:schedule").status_code == 200
    assert _page(page_client(auditor), "calendar:schedule").status_code == 200
    for who in (learner, outsider, instructor.user):
        assert _page(page_client(who), "calendar:schedule").status_code == 403
    assert _page(page_client(instructor.user), "calendar:mine").status_code == 200
    assert _page(page_client(instructor.user), "calendar:instructor", other.pk).status_code == 404
    assert _page(page_client(coordinator), "calendar:instructor", other.pk).status_code == 200
    assert _page(page_client(auditor), "calendar:instructor", other.pk).status_code == 200
    assert _page(page_client(learner), "calendar:mine").status_code == 403
    anonymous = _page(page_client(None), "calendar:mine")
    assert anonymous.status_code == 302


# --- Query counts ------------------------------------------------------------------------------


def _queries(client: Any, name: str, *args: Any, **params: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = _page(client, name, *args, **params)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize("view", ["week", "month", "agenda"])
def test_calendar_pages_cost_the_same_queries_for_1_and_20_sessions(
    page_client, coordinator, instructor, schedule, room, view
):
    factories.WorkingHoursFactory(instructor=instructor, weekday=1)
    factories.UnavailabilityFactory(
        instructor=instructor,
        starts_at=at("2030-03-10", "20:00"),
        ends_at=at("2030-03-10", "23:00"),
    )
    pages = {
        "schedule": (coordinator, "calendar:schedule"),
        "instructor": (instructor.user, "calendar:mine"),
    }

    def measure() -> dict[str, tuple[int, int]]:
        found = {}
        for label, (user, name) in pages.items():
            count, response = _queries(page_client(user), name, view=view, date="2030-03-04")
            keys = _entries(response.content.decode())
            found[label] = (count, len([k for k in keys if k.startswith("block-")]))
        return found

    _many(schedule, 1)
    one = measure()
    _many(schedule, 19, first=1)
    twenty = measure()

    assert {label: shown for label, (_count, shown) in one.items()} == {
        "schedule": 1,
        "instructor": 1,
    }
    assert {label: shown for label, (_count, shown) in twenty.items()} == {
        "schedule": 20,
        "instructor": 20,
    }
    counts = {label: count for label, (count, _shown) in twenty.items()}
    assert counts == {label: count for label, (count, _shown) in one.items()}
    # Both: session, user, roles. The schedule: blocks, their leads, and the filters' choices
    # (courses and their prerequisites, sites, instructors). The instructor's: the profile,
    # blocks, unavailability, working hours, and the subscribe block's feed token.
    assert counts == {"schedule": 9, "instructor": 8}


# --- An instructor's calendar -------------------------------------------------------------------


def test_my_calendar_shows_assignments_with_room_and_site_and_shaded_working_hours(
    page_client, instructor, booked, room
):
    factories.WorkingHoursFactory(
        instructor=instructor, weekday=0, starts=dt.time(8), ends=dt.time(17)
    )
    html = _page(page_client(instructor.user), "calendar:mine").content.decode()

    assert f"{room.name}, {room.site.name}" in html
    assert "Working hours 08:00\N{EN DASH}17:00 CET" in html
    assert 'class="cal-shade cal-at-97 cal-span-108"' in html  # 08:00, 9 hours of 5 minutes


def test_an_online_session_shows_its_join_link_to_the_instructor(
    page_client, instructor, schedule, host_account
):
    session = schedule(mode="vilt", host_account=host_account, status="scheduled")
    html = _page(page_client(instructor.user), "calendar:mine", view="agenda").content.decode()
    assert session.join_url
    assert f'href="{session.join_url}"' in html
    assert "Video call" in html


def _away(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "leave",
        "start_date": "2030-03-05",
        "start_time": "00:00",
        "end_date": "2030-03-06",
        "end_time": "00:00",
        "note": "Dentist",
        "view": "week",
    }
    data.update(overrides)
    return data


def test_an_instructor_adds_unavailability_in_their_zone_and_sees_it(page_client, instructor):
    instructor.home_time_zone = "America/New_York"
    instructor.save()
    client = page_client(instructor.user)
    url = reverse("calendar:unavailability-create", args=[instructor.pk])

    response = client.post(url, _away())

    assert response.status_code == 302
    assert response["Location"] == reverse("calendar:mine") + "?view=week&date=2030-03-05"
    absence = Unavailability.objects.get()
    assert absence.starts_at == dt.datetime(2030, 3, 5, 5, 0, tzinfo=dt.UTC)  # midnight EST
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f"unavailability-{absence.pk}" in html
    assert "Your unavailability is saved." in html
    assert "Dentist" in html


def test_unavailability_over_a_session_is_refused_naming_the_session(
    page_client, instructor, booked
):
    client = page_client(instructor.user)
    url = reverse("calendar:unavailability-create", args=[instructor.pk])

    response = client.post(url, _away(start_date="2030-03-04", end_date="2030-03-05"))

    assert response.status_code == 409
    html = response.content.decode()
    assert f"#{booked.pk} (SAFE-101)" in html
    assert f"Session #{booked.pk}: SAFE-101 Workplace safety" in html
    assert "The unavailability was not saved" in html
    # The page shows the week the refused period is in, with the session in the way.
    assert f'data-key="block-{booked.blocks.get().pk}"' in html
    assert Unavailability.objects.count() == 0


def test_a_time_the_clocks_skip_is_a_form_error(page_client, instructor):
    client = page_client(instructor.user)
    url = reverse("calendar:unavailability-create", args=[instructor.pk])

    response = client.post(
        url, _away(start_date="2030-03-31", start_time="02:30", end_date="2030-04-01")
    )

    assert response.status_code == 400
    assert "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris" in response.content.decode()
    assert Unavailability.objects.count() == 0


def test_an_end_before_the_start_is_a_form_error(page_client, instructor):
    client = page_client(instructor.user)
    url = reverse("calendar:unavailability-create", args=[instructor.pk])
    response = client.post(url, _away(end_date="2030-03-04"))
    assert response.status_code == 400
    assert "The end must come after the start." in response.content.decode()


def test_an_instructor_removes_their_unavailability_but_not_a_colleagues(page_client, instructor):
    mine = factories.UnavailabilityFactory(
        instructor=instructor,
        starts_at=at("2030-03-05", "09:00"),
        ends_at=at("2030-03-05", "12:00"),
    )
    theirs = factories.UnavailabilityFactory(
        starts_at=at("2030-03-05", "09:00"), ends_at=at("2030-03-05", "12:00")
    )
    client = page_client(instructor.user)

    refused = client.post(
        reverse("calendar:unavailability-delete", args=[theirs.instructor.pk, theirs.pk])
    )
    wrong_owner = client.post(
        reverse("calendar:unavailability-delete", args=[instructor.pk, theirs.pk])
    )
    removed = client.post(reverse("calendar:unavailability-delete", args=[instructor.pk, mine.pk]))

    assert refused.status_code == 404
    assert wrong_owner.status_code == 404
    assert removed.status_code == 302
    assert list(Unavailability.objects.all()) == [theirs]
    html = client.get(removed["Location"]).content.decode()
    assert f"unavailability-{mine.pk}" not in html
    assert "The unavailability is removed." in html


def test_auditors_see_an_instructors_calendar_but_cannot_change_it(
    page_client, auditor, instructor
):
    client = page_client(auditor)
    html = _page(client, "calendar:instructor", instructor.pk).content.decode()
    assert "Add unavailability" not in html
    url = reverse("calendar:unavailability-create", args=[instructor.pk])
    assert client.post(url, _away()).status_code == 403
    assert Unavailability.objects.count() == 0


# --- Clock changes on the page -----------------------------------------------------------------


def test_the_week_of_spring_forward_draws_the_skipped_hour_and_the_block_in_two_parts(
    page_client, coordinator, schedule
):
    # Paris, Sun 31 Mar 2030: 02:00 becomes 03:00. 01:00-04:00 lasts two hours.
    session = schedule([(at("2030-03-31", "01:00"), at("2030-03-31", "04:00"))], status="scheduled")
    html = _page(page_client(coordinator), "calendar:schedule", date="2030-03-31").content.decode()

    assert "Clocks go forward from 02:00 to 03:00: a 23-hour day." in html
    key = f"block-{session.blocks.get().pk}"
    # 01:00-02:00 (row 13, 12 rows), the skipped hour hatched, then 03:00-04:00 (row 37).
    assert re.search(rf'cal-at-13 cal-span-12 cal-lane-1[^"]*" data-key="{key}"', html)
    assert 'class="cal-entry cal-entry--session cal-entry--part cal-at-37 cal-span-12' in html
    assert 'class="cal-missing cal-at-25 cal-span-12"' in html
    assert "01:00 CET\N{EN DASH}04:00 CEST" in html


def test_the_week_of_fall_back_shows_the_repeated_hour_twice_on_the_axis(
    page_client, coordinator, schedule
):
    # Paris, Sun 27 Oct 2030: 03:00 becomes 02:00 again. 01:00-04:00 lasts four hours.
    session = schedule([(at("2030-10-27", "01:00"), at("2030-10-27", "04:00"))], status="scheduled")
    html = _page(page_client(coordinator), "calendar:schedule", date="2030-10-27").content.decode()

    assert "Clocks go back from 03:00 to 02:00: a 25-hour day." in html
    assert ">02:00 CEST<" in html
    assert ">02:00 CET<" in html
    assert "cal-rows-300" in html  # 25 hours of 5 minutes
    key = f"block-{session.blocks.get().pk}"
    assert re.search(rf'cal-at-13 cal-span-48 cal-lane-1[^"]*" data-key="{key}"', html)


def test_the_schedule_filtered_by_instructor_links_to_their_calendar(
    page_client, coordinator, booked, instructor
):
    html = _page(
        page_client(coordinator), "calendar:schedule", instructor=str(instructor.pk)
    ).content.decode()
    assert len(_entries(html)) == 1
    assert reverse("calendar:instructor", args=[instructor.pk]) + "?view=week" in html


def test_my_calendar_month_costs_eight_queries_for_twenty_sessions(
    page_client, instructor, schedule
):
    """Session, user, roles, the instructor, their blocks, unavailability, working hours, and
    the subscribe block's feed token."""
    _many(schedule, 20)
    client = page_client(instructor.user)
    count, response = _queries(client, "calendar:mine", view="month", date="2030-03-04")
    assert count == 8
    assert len([k for k in _entries(response.content.decode()) if k.startswith("block-")]) == 20
