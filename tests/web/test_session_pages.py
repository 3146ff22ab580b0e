"""Session list (filters, htmx, pagination), detail (times, capacity, logistics) and the
coordinator's per-session actions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scheduling.models import BlockStatus, SessionStatus
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

LIST = "scheduling:session-list"
DASH = "\N{EN DASH}"  # between the start and end times on the pages


def _shown(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [row.session.pk for row in response.context["rows"]]


def test_list_starts_today_and_filters_by_course_status_room_site_and_mode(
    page_client, coordinator, booked, draft, schedule, room, host_account
):
    other_course = factories.CourseFactory()
    elsewhere = factories.RoomFactory()
    third = schedule(
        [(at("2030-03-08", "09:00"), at("2030-03-08", "12:00"))],
        rooms=[elsewhere],
        instructors=[factories.InstructorFactory()],
        the_course=other_course,
    )
    online = schedule(
        [(at("2030-03-09", "09:00"), at("2030-03-09", "12:00"))],
        mode="vilt",
        host_account=host_account,
        instructors=[factories.InstructorFactory()],
    )
    client = page_client(coordinator)

    assert _shown(client.get(reverse(LIST))) == [booked.pk, draft.pk, third.pk, online.pk]
    assert _shown(client.get(reverse(LIST), {"course": other_course.pk})) == [third.pk]
    assert _shown(client.get(reverse(LIST), {"status": "scheduled"})) == [booked.pk]
    assert _shown(client.get(reverse(LIST), {"room": room.pk})) == [booked.pk, draft.pk]
    assert _shown(client.get(reverse(LIST), {"site": elsewhere.site_id})) == [third.pk]
    assert _shown(client.get(reverse(LIST), {"delivery_mode": "vilt"})) == [online.pk]
    window = {"date_from": "2030-03-06", "date_to": "2030-03-08"}
    assert _shown(client.get(reverse(LIST), window)) == [draft.pk, third.pk]
    past = {"date_from": "2030-04-01"}
    assert _shown(client.get(reverse(LIST), past)) == []


def test_list_filters_by_instructor(page_client, coordinator, booked, draft, instructor):
    response = page_client(coordinator).get(reverse(LIST), {"instructor": instructor.pk})
    assert _shown(response) == [booked.pk]


def test_htmx_filtering_returns_only_the_results(page_client, coordinator, booked):
    response = page_client(coordinator).get(
        reverse(LIST), {"status": "scheduled"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="result-count" hx-swap-oob="innerHTML"' in html
    assert "1 session" in html
    assert "HX-Request" in response["Vary"]


def test_invalid_filters_show_an_error_instead_of_results(page_client, coordinator, booked):
    response = page_client(coordinator).get(
        reverse(LIST), {"date_from": "2030-03-10", "date_to": "2030-03-01"}
    )
    assert response.status_code == 200
    assert _shown(response) == []
    assert "The end date is before the start date." in response.content.decode()


def test_list_is_paginated_with_filters_kept(page_client, coordinator, schedule, room):
    for day in range(1, 28):
        schedule(
            [(at(f"2030-04-{day:02d}", "09:00"), at(f"2030-04-{day:02d}", "10:00"))],
        )
    client = page_client(coordinator)
    first = client.get(reverse(LIST), {"room": room.pk})
    assert len(_shown(first)) == 25
    assert f"?room={room.pk}&amp;page=2" in first.content.decode()
    second = client.get(reverse(LIST), {"room": room.pk, "page": 2})
    assert len(_shown(second)) == 2


def test_list_query_count_does_not_grow_with_the_page(
    page_client, coordinator, schedule, django_assert_max_num_queries
):
    client = page_client(coordinator)
    schedule()
    with django_assert_max_num_queries(20) as few:
        client.get(reverse(LIST))
    for day in range(5, 15):
        schedule(
            [(at(f"2030-03-{day:02d}", "09:00"), at(f"2030-03-{day:02d}", "10:00"))],
            instructors=[factories.InstructorFactory()],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse(LIST))


def test_detail_shows_the_viewers_time_and_the_venues_when_it_differs(
    page_client, coordinator, booked
):
    client = page_client(coordinator)
    url = reverse("scheduling:session-detail", args=[booked.pk])
    client.cookies["tz"] = "Europe/Paris"
    same = client.get(url).content.decode()
    assert f"09:00{DASH}12:00 CET" in same
    assert "at the venue" not in same

    client.cookies["tz"] = "America/New_York"
    html = client.get(url).content.decode()
    assert f"03:00{DASH}06:00 EST</span>" in html
    assert f"(09:00{DASH}12:00 CET at the venue)" in html


def test_detail_names_the_binding_capacity_limit(page_client, coordinator, schedule):
    small = factories.RoomFactory(capacity=8)
    session = schedule(rooms=[small], capacity=8)
    response = page_client(coordinator).get(reverse("scheduling:session-detail", args=[session.pk]))
    assert response.context["capacity"].value == 8
    assert "Set by the session" in response.content.decode()


def test_join_link_is_for_coordinators_and_the_sessions_instructors_only(
    page_client, coordinator, learner, instructor, schedule, host_account
):
    session = schedule(mode="vilt", host_account=host_account, status="scheduled")
    url = reverse("scheduling:session-detail", args=[session.pk])
    assert session.join_url in page_client(coordinator).get(url).content.decode()
    assert session.join_url in page_client(instructor.user).get(url).content.decode()
    learner_page = page_client(learner).get(url).content.decode()
    assert session.join_url not in learner_page
    assert host_account.name not in learner_page


def test_auditors_see_no_action_buttons(page_client, auditor, booked):
    html = (
        page_client(auditor)
        .get(reverse("scheduling:session-detail", args=[booked.pk]))
        .content.decode()
    )
    assert "Cancel session" not in html
    assert "Edit settings" not in html
    assert reverse("scheduling:block-move", args=[booked.pk, booked.blocks.get().pk]) not in html


def test_coordinator_publishes_then_cancels_with_a_reason(page_client, coordinator, draft):
    client = page_client(coordinator)
    url = reverse("scheduling:session-transition", args=[draft.pk])

    client.post(url, {"to_status": "scheduled"})
    draft.refresh_from_db()
    assert draft.status == SessionStatus.SCHEDULED

    refused = client.post(url, {"to_status": "cancelled", "reason": " "}, follow=True)
    assert "Give a reason for cancelling." in refused.content.decode()
    draft.refresh_from_db()
    assert draft.status == SessionStatus.SCHEDULED

    client.post(url, {"to_status": "cancelled", "reason": "Trainer ill"})
    draft.refresh_from_db()
    assert draft.status == SessionStatus.CANCELLED
    assert draft.room_bookings.count() == 0


def test_publishing_without_a_lead_explains_why_it_is_refused(page_client, coordinator, schedule):
    lonely = schedule(instructors=[])
    response = page_client(coordinator).post(
        reverse("scheduling:session-transition", args=[lonely.pk]),
        {"to_status": "scheduled"},
        follow=True,
    )
    assert "Assign a lead instructor before publishing." in response.content.decode()
    lonely.refresh_from_db()
    assert lonely.status == SessionStatus.DRAFT


def test_cancel_and_restore_one_block(page_client, coordinator, schedule):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ]
    )
    second = session.blocks.order_by("starts_at").last()
    client = page_client(coordinator)

    client.post(
        reverse("scheduling:block-cancel", args=[session.pk, second.pk]), {"reason": "Holiday"}
    )
    second.refresh_from_db()
    assert second.status == BlockStatus.CANCELLED
    assert session.room_bookings.count() == 1

    client.post(reverse("scheduling:block-restore", args=[session.pk, second.pk]))
    second.refresh_from_db()
    assert second.status == BlockStatus.ACTIVE
    assert session.room_bookings.count() == 2


def test_moving_a_block_onto_a_booked_room_is_refused_on_the_form(
    page_client, coordinator, booked, schedule, room
):
    elsewhere = factories.RoomFactory()
    later = schedule(
        [(at("2030-03-04", "14:00"), at("2030-03-04", "16:00"))],
        rooms=[elsewhere],
        instructors=[factories.InstructorFactory()],
    )
    block = later.blocks.get()
    url = reverse("scheduling:block-move", args=[later.pk, block.pk])
    client = page_client(coordinator)
    form = client.get(url).content.decode()
    assert f"Currently: Mon 4 Mar 2030, 14:00{DASH}16:00 CET" in form

    refused = client.post(
        url, {"date": "2030-03-04", "starts": "10:00", "ends": "12:00", "room": room.pk}
    )
    assert refused.status_code == 409
    assert f"#{booked.pk}" in refused.content.decode()
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "14:00")

    moved = client.post(
        url, {"date": "2030-03-05", "starts": "10:00", "ends": "12:00", "room": room.pk}
    )
    assert moved.status_code == 302
    block.refresh_from_db()
    assert (block.starts_at, block.room) == (at("2030-03-05", "10:00"), room)


def test_add_a_block_and_edit_settings(page_client, coordinator, booked):
    client = page_client(coordinator)
    added = client.post(
        reverse("scheduling:block-add", args=[booked.pk]),
        {
            "date": "2030-03-11",
            "starts": "09:00",
            "ends": "12:00",
            "room": booked.blocks.get().room_id,
        },
    )
    assert added.status_code == 302
    assert booked.blocks.count() == 2

    edited = client.post(
        reverse("scheduling:session-edit", args=[booked.pk]),
        {
            "capacity": "10",
            "min_attendees": "2",
            "registration_opens_at": "2030-02-01T08:00",
            "registration_closes_at": "2030-03-03T18:00",
            "notes": "Bring a laptop",
        },
    )
    assert edited.status_code == 302
    booked.refresh_from_db()
    assert (booked.capacity, booked.min_attendees, booked.notes) == (10, 2, "Bring a laptop")
    # Typed as wall-clock time in the session's zone (Paris, UTC+1 in winter).
    assert booked.registration_closes_at == at("2030-03-03", "18:00")


def test_the_settings_page_clears_the_registration_window(page_client, coordinator, booked):
    client = page_client(coordinator)
    url = reverse("scheduling:session-edit", args=[booked.pk])
    settings = {"capacity": "12", "min_attendees": "0", "notes": ""}
    window = {
        "registration_opens_at": "2030-02-01T08:00",
        "registration_closes_at": "2030-03-03T18:00",
    }
    assert client.post(url, {**settings, **window}).status_code == 302

    cleared = client.post(
        url, {**settings, "registration_opens_at": "", "registration_closes_at": ""}
    )

    assert cleared.status_code == 302
    booked.refresh_from_db()
    assert (booked.registration_opens_at, booked.registration_closes_at) == (None, None)
    page = client.get(url).content.decode()
    assert "2030-02-01T08:00" not in page


def test_assign_and_remove_an_instructor(page_client, coordinator, booked, course):
    helper = factories.InstructorFactory()
    factories.QualificationFactory(instructor=helper, course=course)
    client = page_client(coordinator)
    client.post(
        reverse("scheduling:instructor-assign", args=[booked.pk]),
        {"instructor": helper.pk, "role": "co_facilitator"},
    )
    assignment = booked.assignments.get(instructor=helper)
    assert booked.instructor_bookings.filter(instructor=helper).count() == 1

    client.post(reverse("scheduling:instructor-unassign", args=[booked.pk, assignment.pk]))
    assert not booked.assignments.filter(instructor=helper).exists()


def test_availability_pages_find_free_rooms_and_instructors(
    page_client, coordinator, booked, room, course, instructor
):
    free_room = factories.RoomFactory(capacity=30)
    free_person = factories.InstructorFactory()
    factories.QualificationFactory(instructor=free_person, course=course)
    client = page_client(coordinator)
    slot = {"date": "2030-03-04", "starts": "10:00", "ends": "11:00", "time_zone": "Europe/Paris"}

    rooms = client.get(reverse("scheduling:room-availability"), {**slot, "min_capacity": 10})
    found = [item["room"] for item in rooms.context["rooms"]]
    assert free_room in found
    assert room not in found

    people = client.get(
        reverse("scheduling:instructor-availability"), {**slot, "course": course.pk}
    )
    assert people.context["people"] == [free_person]
