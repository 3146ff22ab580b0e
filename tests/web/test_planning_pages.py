"""The planning pages: "find a slot for a session" and "copy a session"."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from scheduling.models import Session
from tests import factories
from tests.conftest import at
from tests.web.conftest import InlineCodeFinder

pytestmark = pytest.mark.django_db

SEARCH = "/availability/session/"


def _query(course, **extra):  # type: ignore[no-untyped-def]
    data = {
        "course": course.pk,
        "capacity": "12",
        "time_zone": "Europe/Paris",
        "blocks-TOTAL_FORMS": "3",
        "blocks-INITIAL_FORMS": "0",
        "blocks-0-date": "2030-03-04",
        "blocks-0-starts": "09:00",
        "blocks-0-ends": "12:00",
        "blocks-1-date": "2030-03-05",
        "blocks-1-starts": "09:00",
        "blocks-1-ends": "12:00",
    }
    data.update(extra)
    return data


def test_search_lists_free_rooms_and_instructors_for_every_block_and_why_others_are_not(
    page_client, coordinator, course, room, instructor, schedule, django_assert_num_queries
):
    factories.QualificationFactory(instructor=instructor, course=course)
    busy = factories.InstructorFactory(user__first_name="Busy", user__last_name="Person")
    other_room = factories.RoomFactory(name="Taken room")
    rival = schedule(
        [(at("2030-03-05", "10:00"), at("2030-03-05", "11:00"))],
        rooms=[other_room],
        instructors=[busy],
    )
    client = page_client(coordinator)

    # Session, user, roles, the default zone; the courses (with prerequisites) to validate the
    # form; the 9 of the search (whatever the number of rooms and instructors); the courses
    # again and the sites to render the form's choices.
    with django_assert_num_queries(18):
        response = client.get(SEARCH, _query(course))

    assert response.status_code == 200
    html = response.content.decode()
    assert str(room) in html
    assert instructor.display_name in html
    assert f"already booked by session #{rival.pk}" in html
    assert reverse("scheduling:session-detail", args=[rival.pk]) in html
    assert "Busy Person" in html
    finder = InlineCodeFinder()
    finder.feed(html)
    assert finder.problems == []


def test_choosing_a_room_and_lead_opens_the_new_session_form_filled_in(
    page_client, coordinator, course, room, instructor
):
    factories.QualificationFactory(instructor=instructor, course=course)
    client = page_client(coordinator)

    response = client.get(SEARCH, _query(course, room=room.pk, lead=instructor.pk))
    create_url = response.context["create_url"]
    query = parse_qs(urlparse(create_url).query)

    assert query["blocks-0-room"] == [str(room.pk)]
    assert query["blocks-1-date"] == ["2030-03-05"]
    assert query["lead"] == [str(instructor.pk)]
    form_page = client.get(create_url)
    assert form_page.status_code == 200
    plan = form_page.context["plan"]
    assert plan.form["lead"].value() == str(instructor.pk)
    assert plan.blocks.forms[1]["date"].value() == "2030-03-05"
    assert plan.blocks.forms[0]["room"].value() == str(room.pk)
    assert f'value="{room.pk}" selected' in form_page.content.decode()


def test_a_search_with_a_bad_block_is_a_400_with_the_field_error(page_client, coordinator, course):
    response = page_client(coordinator).get(SEARCH, _query(course, **{"blocks-0-ends": "08:00"}))

    assert response.status_code == 400
    assert "The block must end after it starts." in response.content.decode()


def test_a_search_without_blocks_is_a_400(page_client, coordinator, course):
    data = {k: v for k, v in _query(course).items() if not k.startswith("blocks-") or "FORMS" in k}
    response = page_client(coordinator).get(SEARCH, data)

    assert response.status_code == 400
    assert "Add at least one block." in response.content.decode()


def test_learners_may_not_search(page_client, learner, course):
    assert page_client(learner).get(SEARCH, _query(course)).status_code == 403


def test_an_auditor_sees_results_without_actions(page_client, auditor, course, room):
    response = page_client(auditor).get(SEARCH, _query(course))

    assert response.status_code == 200
    assert str(room) in response.content.decode()
    assert "Open the new-session form" not in response.content.decode()


def test_for_an_existing_session_one_post_moves_every_upcoming_block_to_a_free_room(
    page_client, coordinator, schedule, course
):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ]
    )
    bigger = factories.RoomFactory(name="Bigger", capacity=40)
    client = page_client(coordinator)

    page = client.get(SEARCH, {"session": session.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("scheduling:session-room-change", args=[session.pk]) in html
    # The session's own room is free for it (its own bookings do not count).
    assert session.blocks.first().room.pk in {c.pk for c in page.context["availability"].free_rooms}

    response = client.post(
        reverse("scheduling:session-room-change", args=[session.pk]), {"room": bigger.pk}
    )

    assert response.status_code == 302
    assert {b.room_id for b in session.blocks.all()} == {bigger.pk}


def test_the_instructor_action_assigns_through_the_existing_form(
    page_client, coordinator, schedule, course
):
    session = schedule(instructors=[])
    person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=person, course=course)
    client = page_client(coordinator)

    page = client.get(SEARCH, {"session": session.pk})
    assert reverse("scheduling:instructor-assign", args=[session.pk]) in page.content.decode()
    response = client.post(
        reverse("scheduling:instructor-assign", args=[session.pk]),
        {"instructor": person.pk, "role": page.context["next_role"]},
    )

    assert response.status_code == 302
    assert session.assignments.get().instructor == person


def test_a_room_change_without_a_room_is_a_400(page_client, coordinator, schedule):
    session = schedule()
    response = page_client(coordinator).post(
        reverse("scheduling:session-room-change", args=[session.pk]), {"room": "x"}
    )
    assert response.status_code == 400


# --- Copy --------------------------------------------------------------------------------------


def test_copy_with_everything_free_creates_a_draft(page_client, coordinator, schedule, room):
    source = schedule()
    client = page_client(coordinator)
    url = reverse("scheduling:session-copy", args=[source.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, {"first_day": "2030-03-11"})

    copy = Session.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:session-detail", args=[copy.pk])
    assert copy.status == "draft"
    assert copy.blocks.get().room == room
    assert copy.blocks.get().starts_at == at("2030-03-11", "09:00")


def test_copy_with_a_taken_room_opens_the_form_with_the_room_empty_and_the_reason(
    page_client, coordinator, schedule, room, instructor
):
    source = schedule()
    rival = schedule(
        [(at("2030-03-11", "10:00"), at("2030-03-11", "11:00"))],
        instructors=[factories.InstructorFactory()],
    )
    client = page_client(coordinator)

    response = client.post(
        reverse("scheduling:session-copy", args=[source.pk]),
        {"first_day": "2030-03-11"},
        follow=True,
    )

    assert Session.objects.count() == 2  # nothing saved yet
    assert response.redirect_chain[0][0].startswith(reverse("scheduling:session-create"))
    html = response.content.decode()
    assert f"already booked by session #{rival.pk}" in html
    plan = response.context["plan"]
    assert plan.blocks.forms[0]["date"].value() == "2030-03-11"
    assert plan.blocks.forms[0]["room"].value() in (None, "")
    assert plan.form["lead"].value() == str(instructor.pk)


@pytest.mark.parametrize("day", ["", "not a date", "2020-02-01"])
def test_copy_with_a_bad_day_is_a_400_and_writes_nothing(page_client, coordinator, schedule, day):
    source = schedule()
    response = page_client(coordinator).post(
        reverse("scheduling:session-copy", args=[source.pk]), {"first_day": day}
    )
    assert response.status_code == 400
    assert Session.objects.count() == 1


def test_only_coordinators_copy(page_client, auditor, schedule):
    source = schedule()
    url = reverse("scheduling:session-copy", args=[source.pk])
    assert page_client(auditor).post(url, {"first_day": "2030-03-11"}).status_code == 403


def test_copy_onto_a_time_the_clocks_skip_is_a_400_naming_it(page_client, coordinator, schedule):
    source = schedule([(at("2030-03-24", "02:30"), at("2030-03-24", "04:00"))])

    response = page_client(coordinator).post(
        reverse("scheduling:session-copy", args=[source.pk]), {"first_day": "2030-03-31"}
    )

    assert response.status_code == 400
    assert "02:30 does not exist" in response.content.decode()
    assert Session.objects.count() == 1


def test_the_session_page_links_to_copy_and_to_the_slot_search(page_client, coordinator, schedule):
    session = schedule()

    html = (
        page_client(coordinator)
        .get(reverse("scheduling:session-detail", args=[session.pk]))
        .content.decode()
    )

    assert reverse("scheduling:session-copy", args=[session.pk]) in html
    assert f"{SEARCH}?session={session.pk}" in html


def test_a_room_taken_meanwhile_is_refused_with_the_sessions_name(
    page_client, coordinator, schedule, room
):
    session = schedule([(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))])
    other_room = factories.RoomFactory(name="Other")
    rival = schedule(
        [(at("2030-03-04", "10:00"), at("2030-03-04", "11:00"))],
        rooms=[other_room],
        instructors=[factories.InstructorFactory()],
    )

    response = page_client(coordinator).post(
        reverse("scheduling:session-room-change", args=[session.pk]), {"room": other_room.pk}
    )

    assert response.status_code == 409
    assert f"session #{rival.pk}" in response.content.decode()
    assert session.blocks.get().room == room


@pytest.mark.parametrize("extra", [0, 6])
def test_the_search_for_a_session_costs_the_same_queries_however_many_candidates(
    page_client, coordinator, schedule, course, extra, django_assert_num_queries
):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ]
    )
    for _ in range(extra):
        factories.RoomFactory()
        factories.QualificationFactory(instructor=factories.InstructorFactory(), course=course)
    client = page_client(coordinator)

    # Session, user, roles; the session, its blocks (with rooms) and assignments; the 9 of the
    # search.
    with django_assert_num_queries(15):
        response = client.get(SEARCH, {"session": session.pk})

    assert response.status_code == 200
    assert len(response.context["availability"].instructors) == extra + 1


def test_add_a_block_row_keeps_the_typed_blocks_and_adds_an_empty_row(
    page_client, coordinator, course
):
    # The button sends the next row count after the form's own (the last value counts).
    data = _query(course)
    data["blocks-TOTAL_FORMS"] = ["3", "4"]

    response = page_client(coordinator).get(SEARCH, data)

    assert response.status_code == 200
    rows = response.context["blocks"].forms
    assert len(rows) == 4
    assert rows[1]["date"].value() == "2030-03-05"
    assert 'id="id_blocks-3-date"' in response.content.decode()
