"""Sessions through the API: create (blocks or weekly repeat), preview, edit per block,
instructors, status; conflicts are a 409 naming the session already holding the resource."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from scheduling.models import BlockStatus, InstructorAssignment, Session, SessionStatus
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

SESSIONS = reverse("api:scheduling:session-list")
CHECK = reverse("api:scheduling:session-check")


def detail(session: Session, action: str = "detail", **kwargs: int) -> str:
    return reverse(f"api:scheduling:session-{action}", kwargs={"pk": session.pk, **kwargs})


@pytest.fixture
def payload(course, room, instructor):  # type: ignore[no-untyped-def]
    factories.QualificationFactory(instructor=instructor, course=course)

    def make(**overrides: object) -> dict[str, object]:
        body: dict[str, object] = {
            "course": course.pk,
            "delivery_mode": "ilt",
            "capacity": 12,
            "time_zone": "Europe/Paris",
            "blocks": [
                {
                    "starts_at": "2030-03-04T09:00:00+01:00",
                    "ends_at": "2030-03-04T12:00:00+01:00",
                    "room": room.pk,
                }
            ],
            "instructors": [{"instructor": instructor.pk, "role": "lead"}],
        }
        body.update(overrides)
        return body

    return make


def test_coordinator_creates_a_session_with_blocks_room_and_instructor(
    coordinator_api, payload, room, instructor
):
    response = coordinator_api.post(SESSIONS, payload(status="scheduled"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    session = Session.objects.get(pk=body["id"])
    assert session.status == SessionStatus.SCHEDULED
    assert body["blocks"][0]["room"]["id"] == room.pk
    assert body["blocks"][0]["starts_at"] == "2030-03-04T08:00:00Z"
    assert body["assignments"][0]["instructor"]["id"] == instructor.pk
    assert body["effective_capacity"] == {
        "value": 12,
        "binding": "session",
        "session_capacity": 12,
        "room_capacity": 20,
        "host_account_limit": None,
    }
    assert body["warnings"] == []


def test_create_returns_the_services_warnings(coordinator_api, payload, course):
    course.wanted_room_features = ["hearing_loop"]
    course.save()

    response = coordinator_api.post(SESSIONS, payload(), format="json")

    assert response.status_code == 201
    assert [w["code"] for w in response.json()["warnings"]] == ["room_lacks_feature"]


def test_a_weekly_repeat_stays_at_nine_local_across_daylight_saving(coordinator_api, payload):
    repeat = {
        "first_day": "2030-03-19",
        "starts": "09:00",
        "ends": "12:00",
        "occurrences": 3,
        "room": None,
    }
    body = payload(blocks=None, repeat=repeat, delivery_mode="vilt", instructors=[])
    body.pop("blocks")
    body["host_account"] = factories.HostAccountFactory().pk

    response = coordinator_api.post(SESSIONS, body, format="json")

    assert response.status_code == 201, response.json()
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    starts = [dt.datetime.fromisoformat(b["starts_at"]) for b in response.json()["blocks"]]
    assert [s.astimezone(paris).strftime("%m-%d %H:%M") for s in starts] == [
        "03-19 09:00",
        "03-26 09:00",
        "04-02 09:00",
    ]
    # The UTC instant shifts by an hour at the DST change.
    assert [s.hour for s in starts] == [8, 8, 7]


def test_a_vilt_session_gets_a_join_link_and_the_host_limit_may_bind(coordinator_api, payload):
    account = factories.HostAccountFactory(participant_limit=8, base_url="https://meet.example.org")
    body = payload(delivery_mode="vilt", host_account=account.pk, instructors=[])
    body["blocks"][0]["room"] = None  # type: ignore[index]

    response = coordinator_api.post(SESSIONS, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["join_url"].startswith("https://meet.example.org/tms-")
    capacity = response.json()["effective_capacity"]
    assert (capacity["value"], capacity["binding"]) == (8, "host_account")


def test_a_room_conflict_is_a_409_naming_the_session_and_writes_nothing(
    coordinator_api, payload, schedule, row_counts
):
    taken = schedule(instructors=[factories.InstructorFactory()])
    before = row_counts()

    response = coordinator_api.post(SESSIONS, payload(), format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert f"#{taken.pk}" in body["message"]
    assert body["conflicts"][0]["session_id"] == taken.pk
    assert body["conflicts"][0]["resource"] == "room"
    assert row_counts() == before


def test_the_plan_check_reports_errors_and_warnings_and_writes_nothing(
    coordinator_api, payload, schedule, row_counts
):
    taken = schedule(instructors=[factories.InstructorFactory()])
    before = row_counts()

    response = coordinator_api.post(CHECK, payload(), format="json")

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [e["code"] for e in errors] == ["room_conflict"]
    assert errors[0]["field"] == "blocks[0].room"
    assert errors[0]["conflict"]["session_id"] == taken.pk
    assert row_counts() == before


def test_the_plan_check_of_a_clean_plan_is_empty(coordinator_api, payload):
    response = coordinator_api.post(CHECK, payload(), format="json")

    assert response.json() == {"errors": [], "warnings": []}
    assert not Session.objects.exists()


def test_settings_change_through_patch(coordinator_api, schedule):
    session = schedule()

    response = coordinator_api.patch(
        detail(session), {"capacity": 15, "notes": "Bring boots"}, format="json"
    )

    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert (session.capacity, session.notes) == (15, "Bring boots")
    assert response.json()["warnings"] == []


def test_patch_with_null_clears_the_registration_window(coordinator_api, schedule):
    session = schedule()
    window = {
        "registration_opens_at": "2030-02-01T08:00:00+01:00",
        "registration_closes_at": "2030-03-03T18:00:00+01:00",
    }
    assert coordinator_api.patch(detail(session), window, format="json").status_code == 200

    response = coordinator_api.patch(
        detail(session),
        {"registration_opens_at": None, "registration_closes_at": None},
        format="json",
    )

    assert response.status_code == 200, response.json()
    session.refresh_from_db()
    assert (session.registration_opens_at, session.registration_closes_at) == (None, None)


def test_a_completed_session_is_not_edited_through_the_api_as_on_the_page(
    coordinator_api, schedule
):
    from scheduling.services import session_transition

    session = schedule()
    session_transition(
        session_id=session.pk, to_status="scheduled", now=dt.datetime(2030, 3, 1, tzinfo=dt.UTC)
    )
    session_transition(
        session_id=session.pk,
        to_status="completed",
        now=session.ends_at + dt.timedelta(hours=1),
    )

    response = coordinator_api.patch(detail(session), {"notes": "Rewritten"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    session.refresh_from_db()
    assert session.notes == ""


def test_a_capacity_larger_than_the_room_is_refused(coordinator_api, schedule):
    session = schedule()

    response = coordinator_api.patch(detail(session), {"capacity": 500}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "rule_violation"
    session.refresh_from_db()
    assert session.capacity == 12


def test_publish_then_cancel_with_a_reason_frees_the_room(coordinator_api, schedule, room):
    session = schedule()
    url = detail(session, "transition")

    assert coordinator_api.post(url, {"status": "scheduled"}, format="json").status_code == 200
    refused = coordinator_api.post(url, {"status": "cancelled"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["fields"]
    cancelled = coordinator_api.post(
        url, {"status": "cancelled", "reason": "Trainer ill"}, format="json"
    )

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert not room.bookings.exists()


def test_an_illegal_transition_is_a_409(coordinator_api, schedule):
    session = schedule()

    response = coordinator_api.post(
        detail(session, "transition"), {"status": "completed"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_reschedule_moves_a_block_and_its_bookings(coordinator_api, schedule, room):
    session = schedule()
    block = session.blocks.get()

    response = coordinator_api.post(
        detail(session, "reschedule"),
        {
            "changes": [
                {
                    "block": block.pk,
                    "starts_at": "2030-03-06T13:00:00+01:00",
                    "ends_at": "2030-03-06T16:00:00+01:00",
                }
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-06", "13:00")
    assert room.bookings.get().during.lower == at("2030-03-06", "13:00")


def test_reschedule_into_a_taken_slot_is_a_409_and_changes_nothing(coordinator_api, schedule, room):
    session = schedule()
    other = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        instructors=[factories.InstructorFactory()],
    )
    block = session.blocks.get()

    response = coordinator_api.post(
        detail(session, "reschedule"),
        {
            "changes": [
                {
                    "block": block.pk,
                    "starts_at": "2030-03-06T10:00:00+01:00",
                    "ends_at": "2030-03-06T11:00:00+01:00",
                }
            ]
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["session_id"] == other.pk
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")


def test_a_block_is_added_cancelled_and_restored(coordinator_api, schedule, room):
    session = schedule()

    added = coordinator_api.post(
        reverse("api:scheduling:block-add", kwargs={"pk": session.pk}),
        {
            "starts_at": "2030-03-05T09:00:00+01:00",
            "ends_at": "2030-03-05T12:00:00+01:00",
            "room": room.pk,
        },
        format="json",
    )
    assert added.status_code == 201, added.json()
    second = session.blocks.order_by("starts_at").last()
    cancel = reverse(
        "api:scheduling:block-cancel", kwargs={"pk": session.pk, "block_pk": second.pk}
    )
    restore = reverse(
        "api:scheduling:block-restore", kwargs={"pk": session.pk, "block_pk": second.pk}
    )

    cancelled = coordinator_api.post(cancel, {"reason": "Room flooded"}, format="json")
    assert cancelled.status_code == 200
    assert room.bookings.count() == 1
    restored = coordinator_api.post(restore, format="json")

    assert restored.status_code == 200, restored.json()
    assert [b["status"] for b in restored.json()["blocks"]] == [BlockStatus.ACTIVE] * 2
    assert room.bookings.count() == 2


def test_a_block_of_another_session_is_not_found(coordinator_api, schedule):
    session = schedule()
    other = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        instructors=[factories.InstructorFactory()],
    )
    url = reverse(
        "api:scheduling:block-cancel",
        kwargs={"pk": session.pk, "block_pk": other.blocks.get().pk},
    )

    response = coordinator_api.post(url, {"reason": "x"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_instructors_are_assigned_and_removed(coordinator_api, schedule, course):
    session = schedule()
    helper = factories.InstructorFactory()
    factories.QualificationFactory(instructor=helper, course=course)

    added = coordinator_api.post(
        reverse("api:scheduling:assignment-create", kwargs={"pk": session.pk}),
        {"instructor": helper.pk, "role": "co_facilitator"},
        format="json",
    )
    assert added.status_code == 201, added.json()
    assignment = InstructorAssignment.objects.get(session=session, instructor=helper)
    removed = coordinator_api.delete(
        reverse(
            "api:scheduling:assignment-delete",
            kwargs={"pk": session.pk, "assignment_pk": assignment.pk},
        )
    )

    assert removed.status_code == 204
    assert not InstructorAssignment.objects.filter(pk=assignment.pk).exists()
    assert not helper.bookings.exists()


def test_an_unqualified_instructor_is_refused_with_a_field_message(coordinator_api, schedule):
    session = schedule()
    stranger = factories.InstructorFactory()

    response = coordinator_api.post(
        reverse("api:scheduling:assignment-create", kwargs={"pk": session.pk}),
        {"instructor": stranger.pk, "role": "co_facilitator"},
        format="json",
    )

    assert response.status_code == 400
    assert "not qualified" in response.json()["fields"]["instructors"][0]
    assert not session.assignments.filter(instructor=stranger).exists()
