"""Moving a block and changing its instructors in one go from the resource calendar's move
form (one transaction, one check), the invites that follow, and the next free slots on the
session page's own block move."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from scheduling.models import AssignmentRole, Session
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _move_url(session: Session) -> tuple[str, object]:
    block = session.blocks.get()
    return reverse("scheduling:timeline-block-move", args=[session.pk, block.pk]), block


def _staff(session: Session) -> list[tuple[int, str]]:
    return sorted((a.instructor_id, a.role) for a in session.assignments.all())


def _invites() -> list[tuple[str, str, str]]:
    rows = OutboxMessage.objects.filter(template__startswith="instructor_").order_by("pk")
    return [(m.address, m.template, m.context["reason"]) for m in rows]


@pytest.fixture
def coordinator_client(page_client, coordinator):
    return page_client(coordinator)


@pytest.fixture
def substitute(course):
    person = factories.InstructorFactory(user__first_name="Sam", user__last_name="Stand-in")
    factories.QualificationFactory(instructor=person, course=course)
    return person


def _post(room, **extra):
    data = {"date": "2030-03-13", "starts": "14:00", "ends": "16:30", "room": room.pk}
    data["change_instructors"] = "True"
    data.update(extra)
    return data


def test_the_move_form_replaces_the_lead_with_the_move_and_the_invites_follow(
    coordinator_client, schedule, room, instructor, substitute
):
    session = schedule(status="scheduled")
    move, block = _move_url(session)
    form = coordinator_client.get(move)
    assert form.status_code == 200
    assert "Sam Stand-in" in _text(form)
    before = len(_invites())

    response = coordinator_client.post(move, _post(room, lead=substitute.pk), follow=True)

    assert f"Block moved to Wed 13 Mar 2030, 14:00{DASH}16:30 CET." in _text(response)
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-13", "14:00")
    assert _staff(session) == [(substitute.pk, AssignmentRole.LEAD)]
    assert _invites()[before:] == [
        (instructor.user.email, "instructor_cancel", "removed"),
        (substitute.user.email, "instructor_invite", "assigned"),
    ]
    page = coordinator_client.get(reverse("scheduling:session-detail", args=[session.pk]))
    assert "Sam Stand-in" in _text(page)


def test_adding_a_co_facilitator_and_moving_invites_the_new_one_and_reschedules_the_lead(
    coordinator_client, schedule, room, instructor, substitute
):
    session = schedule(status="scheduled")
    move, _block = _move_url(session)
    before = len(_invites())

    response = coordinator_client.post(
        move, _post(room, lead=instructor.pk, co_facilitators=[substitute.pk])
    )

    assert response.status_code == 302
    assert _staff(session) == sorted(
        [(instructor.pk, AssignmentRole.LEAD), (substitute.pk, AssignmentRole.CO_FACILITATOR)]
    )
    assert _invites()[before:] == [
        (instructor.user.email, "instructor_invite", "rescheduled"),
        (substitute.user.email, "instructor_invite", "assigned"),
    ]


def test_a_busy_replacement_is_refused_naming_the_session_and_nothing_changes(
    coordinator_client, schedule, room, instructor, course
):
    session = schedule(status="scheduled")  # Mon 4 Mar 09:00-12:00, lead `instructor`
    busy = factories.InstructorFactory(user__first_name="Bea", user__last_name="Busy")
    other_room = factories.RoomFactory(site=room.site)
    theirs = schedule(
        [(at("2030-03-13", "14:00"), at("2030-03-13", "15:00"))],
        instructors=[busy],
        rooms=[other_room],
    )
    move, block = _move_url(session)
    before = len(_invites())

    refused = coordinator_client.post(move, _post(room, lead=busy.pk))

    assert refused.status_code == 409
    text = _text(refused)
    assert "The block was not moved" in text
    assert f"is already booked by session #{theirs.pk} ({course.code})" in text
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert _staff(session) == [(instructor.pk, AssignmentRole.LEAD)]
    assert len(_invites()) == before
    # The conflict is about time: the next free Wednesdays, keeping the chosen lead.
    html = refused.content.decode()
    assert f"Move to Wed 20 Mar 2030, 14:00{DASH}16:30 CET" in text
    assert f'name="lead" value="{busy.pk}"' in html

    applied = coordinator_client.post(move, _post(room, date="2030-03-20", lead=busy.pk))
    assert applied.status_code == 302
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-20", "14:00")
    assert _staff(session) == [(busy.pk, AssignmentRole.LEAD)]


def test_the_pickers_show_a_busy_instructor_disabled_with_the_reason(
    coordinator_client, schedule, room, substitute
):
    session = schedule(status="scheduled")
    busy = factories.InstructorFactory(user__first_name="Bea", user__last_name="Busy")
    theirs = schedule(instructors=[busy], rooms=[factories.RoomFactory(site=room.site)])
    move, _block = _move_url(session)

    html = coordinator_client.get(move).content.decode()

    option = re.search(rf'<option value="{busy.pk}"[^>]*>([^<]*)</option>', html)
    assert option is not None
    assert "disabled" in option.group(0)
    assert "Bea Busy" in option.group(1)
    assert f"#{theirs.pk}" in unescape(option.group(1))
    free = re.search(rf'<option value="{substitute.pk}"[^>]*>', html)
    assert free is not None
    assert "disabled" not in free.group(0)


@pytest.mark.parametrize(
    "extra",
    [
        {"lead": "999999"},
        {"co_facilitators": ["nobody"]},
        {"lead": "LEAD", "co_facilitators": ["LEAD"]},
    ],
)
def test_bad_instructor_input_is_a_400_and_changes_nothing(
    coordinator_client, schedule, room, instructor, extra
):
    session = schedule(status="scheduled")
    move, block = _move_url(session)
    extra = {k: ([str(instructor.pk)] if v == ["LEAD"] else v) for k, v in extra.items()}
    if extra.get("lead") == "LEAD":
        extra["lead"] = str(instructor.pk)
    before = len(_invites())

    response = coordinator_client.post(move, _post(room, **extra))

    assert response.status_code == 400
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert _staff(session) == [(instructor.pk, AssignmentRole.LEAD)]
    assert len(_invites()) == before


def _form_queries(client, django_assert_num_queries, session, count):
    move, _block = _move_url(session)
    with django_assert_num_queries(count):
        assert client.get(move).status_code == 200


def test_the_move_form_costs_the_same_queries_whatever_the_staff(
    coordinator_client, schedule, room, course, django_assert_num_queries
):
    one = schedule(status="scheduled")
    people = [factories.InstructorFactory() for _ in range(3)]
    three = schedule([(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))], instructors=people)
    _form_queries(coordinator_client, django_assert_num_queries, one, QUERIES)
    _form_queries(coordinator_client, django_assert_num_queries, three, QUERIES)


QUERIES = 15


def test_the_session_pages_conflicting_move_offers_free_slots_and_applying_returns_there(
    coordinator_client, schedule, room, course
):
    mine = schedule(status="scheduled")  # Mon 4 Mar 09:00-12:00
    other = factories.InstructorFactory()
    theirs = schedule([(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))], instructors=[other])
    block = mine.blocks.get()
    url = reverse("scheduling:block-move", args=[mine.pk, block.pk])

    refused = coordinator_client.post(
        url, {"date": "2030-03-06", "starts": "09:00", "ends": "12:00", "room": room.pk}
    )

    assert refused.status_code == 409
    text = _text(refused)
    assert f"is already booked by session #{theirs.pk} ({course.code})" in text
    assert f"Move to Wed 13 Mar 2030, 09:00{DASH}12:00 CET" in text
    assert f'action="{url}"' in refused.content.decode()
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")

    applied = coordinator_client.post(
        url,
        {"date": "2030-03-13", "starts": "09:00", "ends": "12:00", "room": room.pk},
        follow=True,
    )
    assert applied.redirect_chain[-1][0] == reverse("scheduling:session-detail", args=[mine.pk])
    assert "Block moved." in _text(applied)
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-13", "09:00")


def test_the_session_pages_move_form_costs_a_fixed_number_of_queries(
    coordinator_client, schedule, django_assert_num_queries
):
    session = schedule(status="scheduled")
    block = session.blocks.get()
    url = reverse("scheduling:block-move", args=[session.pk, block.pk])
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        assert coordinator_client.get(url).status_code == 200


SESSION_PAGE_QUERIES = 7
