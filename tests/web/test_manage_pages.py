"""The coordinators' management pages (tms.crud): each resource is created, edited and deleted
through its page; a rule the service refuses comes back as a form error on the page (never a
500, nothing written); auditors read the lists only; instructors and learners get 403."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from instructors.models import Instructor, Qualification, Unavailability, WorkingHours
from scheduling.models import Course
from tests import factories
from tests.conftest import at
from venues.models import HostAccount, Room, RoomClosure, Site

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
RESOURCES = [
    "courses",
    "sites",
    "rooms",
    "closures",
    "host-accounts",
    "instructors",
    "qualifications",
    "working-hours",
    "unavailability",
    "learners",
]


def url(resource: str, action: str, *args: object) -> str:
    return reverse(f"manage:{resource}-{action}", args=args)


def errors_of(response) -> str:  # type: ignore[no-untyped-def]
    form = response.context["form"]
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- Access ---


@pytest.fixture
def persona(coordinator, auditor, instructor, learner, outsider):  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "instructor": instructor.user,
        "learner": learner,
        "outsider": outsider,
    }


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize(
    ("who", "list_status", "create_status"),
    [
        ("coordinator", 200, 200),
        ("auditor", 200, 403),
        ("instructor", 403, 403),
        ("learner", 403, 403),
        ("outsider", 403, 403),
    ],
)
def test_who_may_read_and_change_each_resource(
    page_client, persona, resource, who, list_status, create_status
):
    client = page_client(persona[who])

    assert client.get(url(resource, "list")).status_code == list_status
    assert client.get(url(resource, "create")).status_code == create_status


def test_auditors_see_the_lists_without_write_buttons_and_cannot_post(page_client, auditor, room):
    client = page_client(auditor)

    page = client.get(url("rooms", "list"))
    html = page.content.decode()
    assert str(room) in html
    assert url("rooms", "edit", room.pk) not in html
    assert url("rooms", "create") not in html
    assert client.post(url("rooms", "edit", room.pk), {"name": "x"}).status_code == 403
    assert client.post(url("rooms", "delete", room.pk)).status_code == 403
    assert Room.objects.filter(pk=room.pk).exists()


def test_the_manage_hub_is_linked_from_the_nav_for_coordinators_and_auditors_only(
    page_client, coordinator, auditor, learner, instructor
):
    hub = reverse("manage:index")
    for user in (coordinator, auditor):
        html = page_client(user).get(reverse("home")).content.decode()
        assert f'href="{hub}"' in html
    for user in (learner, instructor.user):
        html = page_client(user).get(reverse("home")).content.decode()
        assert f'href="{hub}"' not in html
    assert page_client(coordinator).get(hub).status_code == 200
    assert page_client(learner).get(hub).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(url("sites", "list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- Sites ---


def test_a_site_is_created_edited_and_deleted_through_its_pages(page_client, coordinator):
    client = page_client(coordinator)

    created = client.post(
        url("sites", "create"), {"name": "Lyon", "address": "1 rue X", "time_zone": "Europe/Paris"}
    )
    assert created.status_code == 302
    site = Site.objects.get(name="Lyon")

    edited = client.post(
        url("sites", "edit", site.pk),
        {"name": "Lyon Part-Dieu", "address": "", "time_zone": "America/New_York"},
    )
    assert edited.status_code == 302
    site.refresh_from_db()
    assert (site.name, site.time_zone) == ("Lyon Part-Dieu", "America/New_York")

    assert client.get(url("sites", "delete", site.pk)).status_code == 200
    assert client.post(url("sites", "delete", site.pk)).status_code == 302
    assert not Site.objects.exists()


def test_a_bad_time_zone_or_a_taken_name_is_a_form_error(page_client, coordinator):
    factories.SiteFactory(name="Paris")
    client = page_client(coordinator)

    bad_zone = client.post(url("sites", "create"), {"name": "Nice", "time_zone": "CET+1"})
    assert bad_zone.status_code == 400
    assert "time_zone" in bad_zone.context["form"].errors

    taken = client.post(url("sites", "create"), {"name": "Paris", "time_zone": "Europe/Paris"})
    assert taken.status_code == 400
    assert "already exists" in errors_of(taken)
    assert Site.objects.count() == 1


def test_a_site_with_rooms_cannot_be_deleted_and_the_page_says_why(page_client, coordinator, room):
    response = page_client(coordinator).post(url("sites", "delete", room.site.pk))

    assert response.status_code == 409
    assert "still in use" in response.context["refusal"]
    assert "Delete or move its rooms first." in response.content.decode()
    assert Site.objects.filter(pk=room.site.pk).exists()


# --- Rooms ---


def room_data(site: Site, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "site": site.pk,
        "name": "Salle 1",
        "capacity": 16,
        "features": ["projector", "hearing_loop"],
        "setup_buffer_minutes": 15,
        "teardown_buffer_minutes": 0,
        "bookable": "on",
    }
    data.update(changes)
    return data


def test_a_room_is_created_with_features_and_buffers(page_client, coordinator):
    site = factories.SiteFactory()
    response = page_client(coordinator).post(url("rooms", "create"), room_data(site))

    assert response.status_code == 302
    room = Room.objects.get(name="Salle 1")
    assert room.features == ["projector", "hearing_loop"]
    assert (room.capacity, room.setup_buffer_minutes, room.bookable) == (16, 15, True)


def test_a_buffer_change_while_the_room_has_bookings_to_come_is_refused_naming_the_session(
    page_client, coordinator, schedule, room
):
    session = schedule()
    client = page_client(coordinator)

    response = client.post(
        url("rooms", "edit", room.pk),
        room_data(room.site, name=room.name, capacity=room.capacity, setup_buffer_minutes=30),
    )

    assert response.status_code == 409
    assert f"#{session.pk}" in errors_of(response)
    assert "buffers cannot change" in errors_of(response)
    room.refresh_from_db()
    assert room.setup_buffer_minutes == 0
    # Another change (the capacity) is fine.
    ok = client.post(
        url("rooms", "edit", room.pk),
        room_data(room.site, name=room.name, capacity=30, setup_buffer_minutes=0),
    )
    assert ok.status_code == 302
    room.refresh_from_db()
    assert room.capacity == 30


def test_huge_numbers_and_unknown_features_are_form_errors(page_client, coordinator):
    site = factories.SiteFactory()
    client = page_client(coordinator)

    huge = client.post(url("rooms", "create"), room_data(site, capacity="9" * 40))
    unknown = client.post(url("rooms", "create"), room_data(site, features=["jacuzzi"]))
    buffers = client.post(url("rooms", "create"), room_data(site, setup_buffer_minutes=10**6))

    for response in (huge, unknown, buffers):
        assert response.status_code == 400
    assert "capacity" in huge.context["form"].errors
    assert "features" in unknown.context["form"].errors
    assert not Room.objects.exists()


def test_a_room_used_by_sessions_cannot_be_deleted(page_client, coordinator, schedule, room):
    schedule()
    response = page_client(coordinator).post(url("rooms", "delete", room.pk))

    assert response.status_code == 409
    assert "not bookable instead" in response.context["refusal"]
    assert Room.objects.filter(pk=room.pk).exists()


# --- Closures ---


def test_a_closure_is_typed_in_the_sites_zone_and_listed_there_named(
    page_client, coordinator, room
):
    client = page_client(coordinator)
    response = client.post(
        url("closures", "create"),
        {
            "room": room.pk,
            "starts": "2030-05-06T08:00",
            "ends": "2030-05-06T18:00",
            "reason": "Painting",
        },
    )

    assert response.status_code == 302
    closure = RoomClosure.objects.get()
    assert closure.starts_at.isoformat() == "2030-05-06T06:00:00+00:00"  # 08:00 in Paris (CEST)
    html = client.get(url("closures", "list")).content.decode()
    assert "Mon 6 May 2030 08:00 CEST (Europe/Paris)" in html

    edit = client.get(url("closures", "edit", closure.pk)).content.decode()
    assert 'value="2030-05-06T08:00"' in edit


def test_a_closure_over_a_booking_is_refused_naming_the_session(
    page_client, coordinator, schedule, room
):
    session = schedule()  # 2030-03-04 09:00-12:00 Paris
    response = page_client(coordinator).post(
        url("closures", "create"),
        {
            "room": room.pk,
            "starts": "2030-03-04T11:00",
            "ends": "2030-03-04T13:00",
            "reason": "Leak",
        },
    )

    assert response.status_code == 409
    assert f"is booked during this closure. Sessions: #{session.pk}" in errors_of(response)
    assert not RoomClosure.objects.exists()


def test_a_closure_at_a_time_the_clocks_skip_is_a_field_error(page_client, coordinator, room):
    response = page_client(coordinator).post(
        url("closures", "create"),
        {
            "room": room.pk,
            "starts": "2030-03-31T02:30",
            "ends": "2030-03-31T05:00",
            "reason": "x",
        },
    )

    assert response.status_code == 400
    assert "02:30 does not exist" in " ".join(response.context["form"].errors["starts"])
    assert not RoomClosure.objects.exists()


def test_a_closure_is_edited_and_deleted(page_client, coordinator, room):
    closure = factories.RoomClosureFactory(room=room)
    client = page_client(coordinator)

    response = client.post(
        url("closures", "edit", closure.pk),
        {"room": room.pk, "starts": "2030-01-01T09:00", "ends": "2030-01-01T10:00", "reason": "Y"},
    )
    assert response.status_code == 302
    closure.refresh_from_db()
    assert closure.reason == "Y"
    assert client.post(url("closures", "delete", closure.pk)).status_code == 302
    assert not RoomClosure.objects.exists()


# --- Host accounts ---


def test_a_host_account_is_created_edited_and_deactivated_when_in_use(page_client, coordinator):
    client = page_client(coordinator)
    data = {"name": "Zoom 1", "provider": "manual", "base_url": "", "participant_limit": 100}

    assert client.post(url("host-accounts", "create"), {**data, "active": "on"}).status_code == 302
    account = HostAccount.objects.get(name="Zoom 1")
    too_big = client.post(
        url("host-accounts", "edit", account.pk), {**data, "participant_limit": 10**9}
    )
    assert too_big.status_code == 400
    assert client.post(url("host-accounts", "edit", account.pk), data).status_code == 302
    account.refresh_from_db()
    assert account.active is False
    assert client.post(url("host-accounts", "delete", account.pk)).status_code == 302
    assert not HostAccount.objects.exists()


# --- Courses ---


def course_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": "FIRE-1",
        "title": "Fire safety",
        "description": "",
        "default_duration_minutes": 120,
        "default_capacity": 10,
        "delivery_modes": ["ilt"],
        "wanted_room_features": ["projector"],
        "active": "on",
    }
    data.update(changes)
    return data


def test_a_course_is_created_with_prerequisites_modes_and_room_features(
    page_client, coordinator, course
):
    response = page_client(coordinator).post(
        url("courses", "create"), course_data(prerequisites=[course.pk])
    )

    assert response.status_code == 302
    created = Course.objects.get(code="FIRE-1")
    assert list(created.prerequisites.all()) == [course]
    assert created.delivery_modes == ["ilt"]
    assert created.wanted_room_features == ["projector"]


def test_a_prerequisite_cycle_is_a_form_error(page_client, coordinator, course):
    later = factories.CourseFactory(code="SAFE-201")
    later.prerequisites.set([course])
    client = page_client(coordinator)

    response = client.post(
        url("courses", "edit", course.pk),
        course_data(code=course.code, title=course.title, prerequisites=[later.pk]),
    )

    assert response.status_code == 400
    assert "cannot require itself" in " ".join(response.context["form"].errors["prerequisites"])
    assert not course.prerequisites.exists()


def test_a_course_needs_a_delivery_mode_and_one_with_sessions_cannot_be_deleted(
    page_client, coordinator, schedule, course
):
    schedule()
    client = page_client(coordinator)

    no_mode = client.post(url("courses", "create"), course_data(delivery_modes=[]))
    assert no_mode.status_code == 400
    assert "delivery_modes" in no_mode.context["form"].errors

    refused = client.post(url("courses", "delete", course.pk))
    assert refused.status_code == 409
    assert "Mark it inactive instead." in refused.context["refusal"]
    assert (
        client.post(
            url("courses", "edit", course.pk), course_data(code=course.code, active="")
        ).status_code
        == 302
    )
    course.refresh_from_db()
    assert course.active is False


# --- Instructors, qualifications, working hours, unavailability ---


def test_an_instructor_profile_links_a_user_by_email_and_gives_the_role(page_client, coordinator):
    person = factories.UserFactory(email="ana@example.org")
    client = page_client(coordinator)
    data = {
        "account": "ANA@example.org",
        "home_time_zone": "Europe/Madrid",
        "weekly_hour_limit": 30,
        "day_rate": "450.50",
        "currency": "EUR",
        "active": "on",
        "grant_role": "on",
    }

    assert client.post(url("instructors", "create"), data).status_code == 302
    profile = Instructor.objects.get(user=person)
    assert person.groups.filter(name="Instructor").exists()
    assert (profile.home_time_zone, profile.day_rate) == ("Europe/Madrid", Decimal("450.50"))

    twice = client.post(url("instructors", "create"), data)
    assert twice.status_code == 400
    assert "already exists" in errors_of(twice)

    edit = {**data, "weekly_hour_limit": 500, "day_rate": "1e30", "home_time_zone": "Mars/Base"}
    bad = client.post(url("instructors", "edit", profile.pk), edit)
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"weekly_hour_limit", "day_rate", "home_time_zone"}

    nobody = client.post(url("instructors", "create"), {**data, "account": "ghost@example.org"})
    assert "No account uses ghost@example.org." in errors_of(nobody)


def test_an_instructor_with_assignments_cannot_be_deleted(
    page_client, coordinator, schedule, instructor
):
    schedule()
    response = page_client(coordinator).post(url("instructors", "delete", instructor.pk))

    assert response.status_code == 409
    assert "inactive instead" in response.context["refusal"]


def test_a_qualification_is_added_its_expiry_changed_and_removed(
    page_client, coordinator, instructor, course
):
    client = page_client(coordinator)

    data = {"instructor": instructor.pk, "course": course.pk, "expires_on": "2031-01-31"}
    assert client.post(url("qualifications", "create"), data).status_code == 302
    twice = client.post(url("qualifications", "create"), data)
    assert twice.status_code == 400
    qualification = Qualification.objects.get()
    assert (
        client.post(url("qualifications", "edit", qualification.pk), {"expires_on": ""}).status_code
        == 302
    )
    qualification.refresh_from_db()
    assert qualification.expires_on is None
    assert client.post(url("qualifications", "delete", qualification.pk)).status_code == 302
    assert not Qualification.objects.exists()


def test_working_hours_are_listed_in_the_instructors_zone_and_must_end_after_they_start(
    page_client, coordinator, instructor
):
    client = page_client(coordinator)

    backwards = {"instructor": instructor.pk, "weekday": 1, "starts": "17:00", "ends": "09:00"}
    refused = client.post(url("working-hours", "create"), backwards)
    assert refused.status_code == 400
    assert not WorkingHours.objects.exists()

    ok = {**backwards, "starts": "09:00", "ends": "17:00"}
    assert client.post(url("working-hours", "create"), ok).status_code == 302
    html = client.get(url("working-hours", "list")).content.decode()
    assert "09:00-17:00 (Europe/Paris)" in html


def test_unavailability_over_a_session_is_refused_naming_it_and_shown_in_the_home_zone(
    page_client, coordinator, schedule, instructor
):
    session = schedule()  # 2030-03-04 09:00-12:00 Paris
    client = page_client(coordinator)
    data = {
        "instructor": instructor.pk,
        "starts": "2030-03-04T00:00",
        "ends": "2030-03-05T00:00",
        "kind": "leave",
        "note": "",
    }

    refused = client.post(url("unavailability", "create"), data)
    assert refused.status_code == 409
    assert f"teaches during this period. Sessions: #{session.pk}" in errors_of(refused)
    assert not Unavailability.objects.exists()

    free = {**data, "starts": "2030-03-05T00:00", "ends": "2030-03-06T00:00"}
    assert client.post(url("unavailability", "create"), free).status_code == 302
    html = client.get(url("unavailability", "list")).content.decode()
    assert "Tue 5 Mar 2030 00:00 CET (Europe/Paris)" in html
    absence = Unavailability.objects.get()
    edit = {"starts": "2030-03-04T11:00", "ends": "2030-03-04T13:00", "kind": "sick"}
    moved = client.post(url("unavailability", "edit", absence.pk), edit)
    assert moved.status_code == 409
    assert client.post(url("unavailability", "delete", absence.pk)).status_code == 302


# --- Bad input ---


@pytest.mark.parametrize("resource", ["sites", "courses", "host-accounts", "learners"])
def test_a_lone_surrogate_or_a_nul_is_a_form_error_not_a_500(page_client, coordinator, resource):
    client = page_client(coordinator)

    nul = client.post(
        url(resource, "create"), "name=%00&code=%00&title=%00&email=%00", content_type=FORM
    )
    surrogate = client.post(
        url(resource, "create"),
        "name=%ED%A0%80&time_zone=%ED%A0%80&email=%ED%A0%80&provider=%ED%A0%80",
        content_type=FORM,
    )

    assert nul.status_code == 400
    assert surrogate.status_code == 400


def test_a_huge_or_unknown_id_in_a_choice_is_a_form_error(page_client, coordinator, course):
    client = page_client(coordinator)
    huge = "9" * 40

    room = client.post(url("rooms", "create"), {**room_data(factories.SiteFactory()), "site": huge})
    prerequisite = client.post(url("courses", "create"), course_data(prerequisites=[huge]))
    closure = client.post(
        url("closures", "create"),
        {"room": str(2**63), "starts": "2030-01-01T09:00", "ends": "2030-01-01T10:00"},
    )

    assert "site" in room.context["form"].errors
    assert "prerequisites" in prerequisite.context["form"].errors
    assert "room" in closure.context["form"].errors
    assert {room.status_code, prerequisite.status_code, closure.status_code} == {400}


def test_a_bad_search_or_page_is_harmless(page_client, coordinator):
    client = page_client(coordinator)

    assert client.get(url("sites", "list"), {"q": "\x00"}).status_code == 400
    assert client.get(url("sites", "list"), {"page": "9" * 30}).status_code == 200
    assert client.get(url("sites", "list") + "?q=%ED%A0%80").status_code == 200


def test_an_unknown_row_is_a_404(page_client, coordinator):
    assert page_client(coordinator).get(url("rooms", "edit", 987654)).status_code == 404


# --- Lists: search, pagination, query counts ---


def test_lists_are_searchable_and_paginated(page_client, coordinator):
    for n in range(30):
        factories.SiteFactory(name=f"Site {n:02d}", address="")
    factories.SiteFactory(name="Annecy", address="Lac")
    client = page_client(coordinator)

    first = client.get(url("sites", "list"))
    assert first.context["page"].paginator.count == 31
    assert len(first.context["table"]) == 25
    second = client.get(url("sites", "list"), {"page": 2})
    assert len(second.context["table"]) == 6
    found = client.get(url("sites", "list"), {"q": "lac"})
    assert [obj.name for obj, _cells in found.context["table"]] == ["Annecy"]
    partial = client.get(url("sites", "list"), {"q": "annecy"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert "Annecy" in partial.content.decode()


@pytest.mark.parametrize(
    ("resource", "make"),
    [
        ("sites", lambda: factories.RoomFactory().site),
        ("rooms", lambda: factories.RoomFactory()),
        ("host-accounts", lambda: factories.HostAccountFactory()),
        ("working-hours", lambda: factories.WorkingHoursFactory()),
        ("closures", lambda: factories.RoomClosureFactory()),
        ("courses", lambda: factories.CourseFactory().prerequisites.add(factories.CourseFactory())),
        ("instructors", lambda: factories.InstructorFactory()),
        ("qualifications", lambda: factories.QualificationFactory()),
        ("unavailability", lambda: factories.UnavailabilityFactory()),
        ("learners", lambda: factories.UserFactory(role="Learner")),
    ],
)
def test_list_pages_cost_the_same_queries_for_3_or_20_rows(
    page_client, coordinator, django_assert_num_queries, resource, make
):
    client = page_client(coordinator)
    for _ in range(3):
        make()
    with django_assert_num_queries(QUERIES[resource]) as few:
        client.get(url(resource, "list"))
    for _ in range(17):
        make()
    with django_assert_num_queries(QUERIES[resource]):
        client.get(url(resource, "list"))
    assert len(few.captured_queries) == QUERIES[resource]


# Session, user, roles, the count, the page (+ a prefetch for courses' prerequisites).
QUERIES = {
    "sites": 5,
    "rooms": 5,
    "host-accounts": 5,
    "working-hours": 5,
    "closures": 5,
    "courses": 6,
    "instructors": 5,
    "qualifications": 5,
    "unavailability": 5,
    "learners": 5,
}


def test_an_instructor_cannot_manage_anyone_elses_unavailability_through_the_manage_pages(
    page_client, instructor
):
    """Instructors add and remove their own unavailability on My calendar; the management pages
    act on anyone's, so they need the coordinator's whole scope (the page once let an
    instructor's "own" scope through)."""
    colleague = factories.InstructorFactory()
    theirs = Unavailability.objects.create(
        instructor=colleague,
        starts_at=at("2030-03-04", "09:00"),
        ends_at=at("2030-03-04", "12:00"),
        kind="leave",
    )
    client = page_client(instructor.user)

    created = client.post(
        url("unavailability", "create"),
        {
            "instructor": colleague.pk,
            "kind": "leave",
            "starts_at_0": "2030-03-05",
            "starts_at_1": "09:00",
            "ends_at_0": "2030-03-05",
            "ends_at_1": "12:00",
        },
    )
    deleted = client.post(url("unavailability", "delete", theirs.pk))

    assert (created.status_code, deleted.status_code) == (403, 403)
    assert list(Unavailability.objects.filter(instructor=colleague)) == [theirs]


def test_an_edit_page_links_to_the_objects_history_in_the_audit_log(page_client, coordinator):
    client = page_client(coordinator)
    client.post(
        url("sites", "create"), {"name": "Lyon", "address": "1 rue X", "time_zone": "Europe/Paris"}
    )
    site = Site.objects.get(name="Lyon")
    client.post(
        url("sites", "edit", site.pk),
        {"name": "Lyon Part-Dieu", "address": "1 rue X", "time_zone": "Europe/Paris"},
    )
    page = client.get(url("sites", "edit", site.pk)).content.decode()
    history = f"/audit-log/?object_type=venues_site&amp;object_id={site.pk}"
    assert history in page
    log = client.get(history.replace("&amp;", "&")).content.decode()
    assert "Lyon Part-Dieu" in log  # the change, as recorded by the database
    assert log.count("coordinator") >= 2  # created and changed, each by the coordinator
