"""The session form: create through the service, preview conflicts before saving, and show
errors without writing anything."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from scheduling.models import (
    AssignmentRole,
    InstructorAssignment,
    RoomBooking,
    Session,
    SessionBlock,
    SessionStatus,
)
from tests import factories

pytestmark = pytest.mark.django_db

CREATE = "scheduling:session-create"
CHECK = "scheduling:session-check"


def _counts() -> tuple[int, int, int, int]:
    return (
        Session.objects.count(),
        SessionBlock.objects.count(),
        RoomBooking.objects.count(),
        InstructorAssignment.objects.count(),
    )


def test_coordinator_creates_a_draft_and_lands_on_its_page(
    page_client, coordinator, form_data, room, instructor
):
    client = page_client(coordinator)
    response = client.post(reverse(CREATE), form_data())
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:session-detail", args=[session.pk])
    assert session.status == SessionStatus.DRAFT
    assert session.created_by == coordinator
    block = session.blocks.get()
    # 09:00 typed in Europe/Paris is 08:00 UTC in winter.
    assert block.starts_at == dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)
    assert block.room == room
    assert session.room_bookings.get().room == room
    assert session.assignments.get().instructor == instructor
    assert session.assignments.get().role == AssignmentRole.LEAD

    page = client.get(response["Location"])
    assert f"Draft session #{session.pk} saved." in page.content.decode()


def test_save_and_publish_schedules_the_session(page_client, coordinator, form_data):
    page_client(coordinator).post(reverse(CREATE), form_data(publish="1"))
    assert Session.objects.get().status == SessionStatus.SCHEDULED


def test_check_names_the_session_already_holding_the_room(
    page_client, coordinator, form_data, booked, course
):
    other = factories.InstructorFactory()
    factories.QualificationFactory(instructor=other, course=course)
    data = form_data(**{"blocks-0-starts": "11:00", "blocks-0-ends": "13:00", "lead": other.pk})
    before = _counts()

    response = page_client(coordinator).post(reverse(CHECK), data, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "already booked by session" in html
    assert f"#{booked.pk} ({course.code})" in html
    assert reverse("scheduling:session-detail", args=[booked.pk]) in html
    assert "<html" not in html  # a partial for htmx, not a page
    assert _counts() == before


def test_saving_over_a_booked_room_refuses_and_writes_nothing(
    page_client, coordinator, form_data, booked, course
):
    other = factories.InstructorFactory()
    factories.QualificationFactory(instructor=other, course=course)
    before = _counts()

    response = page_client(coordinator).post(
        reverse(CREATE), form_data(**{"blocks-0-starts": "11:00", "lead": other.pk})
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "The session was not saved" in html
    assert f"session #{booked.pk} ({course.code})" in html
    # The error sits on the block's room, and the form keeps what was typed.
    row = response.context["blocks"].forms[0]
    assert "already booked" in row.errors["room"][0]
    assert 'value="11:00"' in html
    assert _counts() == before


def test_check_without_javascript_rerenders_the_whole_form_with_the_report(
    page_client, coordinator, form_data
):
    response = page_client(coordinator).post(reverse(CHECK), form_data())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "No conflicts" in html
    assert Session.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"blocks-0-ends": "08:00"}, "blocks-0-ends", "must end after it starts"),
        ({"capacity": "0"}, "capacity", "greater than or equal to 1"),
        ({"course": ""}, "course", "This field is required"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice"),
        ({"blocks-0-date": "2030-02-30"}, "blocks-0-date", "Enter a valid date"),
        (
            {"blocks-0-date": "", "blocks-0-starts": "", "blocks-0-ends": "", "blocks-0-room": ""},
            None,
            "Add at least one block",
        ),
    ],
)
def test_bad_input_rerenders_with_errors_and_writes_nothing(
    page_client, coordinator, form_data, overrides, field, message
):
    response = page_client(coordinator).post(reverse(CREATE), form_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "The session was not saved" in html
    if field:
        assert f'id="id_{field}"' in html
        assert 'aria-invalid="true"' in html
    assert _counts() == (0, 0, 0, 0)


def test_a_rule_from_the_service_is_shown_next_to_its_field(
    page_client, coordinator, form_data, room
):
    too_many = form_data(capacity=str(room.capacity + 5))
    response = page_client(coordinator).post(reverse(CREATE), too_many)
    assert response.status_code == 400
    row = response.context["blocks"].forms[0]
    assert "fewer than the session capacity" in row.errors["room"][0]
    assert Session.objects.count() == 0


def test_blocks_in_the_past_are_refused(page_client, coordinator, form_data):
    response = page_client(coordinator).post(
        reverse(CREATE), form_data(**{"blocks-0-date": "2020-01-06"})
    )
    assert response.status_code == 400
    assert "is in the past" in response.content.decode()
    assert Session.objects.count() == 0


def test_several_rows_with_a_removed_one_in_between(page_client, coordinator, form_data, room):
    # Row 1 was removed in the browser: its fields are simply absent.
    data = form_data(
        **{
            "blocks-TOTAL_FORMS": "3",
            "blocks-2-date": "2030-03-05",
            "blocks-2-starts": "13:00",
            "blocks-2-ends": "17:00",
            "blocks-2-room": room.pk,
        }
    )
    response = page_client(coordinator).post(reverse(CREATE), data)
    assert response.status_code == 302
    assert Session.objects.get().blocks.count() == 2


def test_weekly_repeat_keeps_the_local_time_across_daylight_saving(
    page_client, coordinator, form_data
):
    data = form_data(
        schedule="weekly",
        weekly_first_day="2030-03-19",
        weekly_starts="09:00",
        weekly_ends="12:00",
        weekly_occurrences="3",
        weekly_room=form_data()["blocks-0-room"],
        **{"blocks-0-date": "", "blocks-0-starts": "", "blocks-0-ends": ""},
    )
    response = page_client(coordinator).post(reverse(CREATE), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    starts = [b.starts_at.astimezone(paris) for b in Session.objects.get().blocks.all()]
    assert [s.date().isoformat() for s in starts] == ["2030-03-19", "2030-03-26", "2030-04-02"]
    assert {s.time() for s in starts} == {dt.time(9)}
    # Summer time began on 31 March: the UTC instant moved, the wall-clock time did not.
    assert starts[0].utcoffset() != starts[2].utcoffset()


def test_weekly_repeat_needs_its_fields(page_client, coordinator, form_data):
    response = page_client(coordinator).post(reverse(CREATE), form_data(schedule="weekly"))
    assert response.status_code == 400
    assert "Required for a weekly repeat." in response.content.decode()
    assert Session.objects.count() == 0


def test_video_call_session_books_the_host_account_and_gets_a_join_link(
    page_client, coordinator, form_data, host_account
):
    data = form_data(delivery_mode="vilt", host_account=host_account.pk, **{"blocks-0-room": None})
    response = page_client(coordinator).post(reverse(CREATE), data)
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.host_account == host_account
    assert session.join_url.startswith("https://meet.example.org/")
    assert session.blocks.get().room is None


def test_lead_cannot_also_be_a_co_facilitator(page_client, coordinator, form_data, instructor):
    response = page_client(coordinator).post(
        reverse(CREATE), form_data(co_facilitators=[instructor.pk])
    )
    assert response.status_code == 400
    assert "already assigned" in response.content.decode()


def test_add_block_returns_the_next_row_and_the_new_row_count(page_client, coordinator):
    response = page_client(coordinator).get(
        reverse("scheduling:session-block-row"),
        {"blocks-TOTAL_FORMS": "2"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'name="blocks-2-date"' in html
    assert "Block 3" in html
    assert 'id="id_blocks-TOTAL_FORMS"' in html
    assert 'value="3"' in html
    assert 'hx-swap-oob="true"' in html


def test_new_session_form_renders_for_coordinators(page_client, coordinator, course, room):
    response = page_client(coordinator).get(reverse(CREATE))
    html = response.content.decode()
    assert response.status_code == 200
    assert course.title in html
    assert 'name="blocks-0-date"' in html
    assert 'hx-post="' + reverse(CHECK) + '"' in html
