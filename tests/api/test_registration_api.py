"""Registering, enrolling, "my registrations", cancelling, offers and moving on the waitlist,
through the API: a full session is a success (waitlisted at position N), refusals are 400/409
in the one error shape and write nothing, and each role gets what the policy table says."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from attendance.models import Registration, RegistrationStatus, WaitlistMove
from attendance.services.registration import registration_cancel, registration_create
from notifications.models import OutboxMessage
from scheduling.models import SessionStatus, WaitlistPolicy
from scheduling.services import session_transition
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

REGISTRATIONS = reverse("api:attendance:registration-list")


def register_url(session: Any) -> str:
    return reverse("api:attendance:registration-register", args=[session.pk])


def enrol_url(session: Any) -> str:
    return reverse("api:attendance:registration-enrol", args=[session.pk])


def bulk_url(session: Any) -> str:
    return reverse("api:attendance:registration-bulk-enrol", args=[session.pk])


def cancel_url(registration: Any) -> str:
    return reverse("api:attendance:registration-cancel", args=[registration.pk])


def move_url(registration: Any) -> str:
    return reverse("api:attendance:waitlist-move", args=[registration.pk])


def register(session: Any, learner: Any) -> Registration:
    return registration_create(session_id=session.pk, learner=learner, now=NOW).row()


@pytest.fixture
def published(schedule):  # type: ignore[no-untyped-def]
    def make(capacity: int = 2, **kwargs: Any) -> Any:
        return schedule(status="scheduled", capacity=capacity, **kwargs)

    return make


@pytest.fixture
def counts():  # type: ignore[no-untyped-def]
    """Rows a registration request may write, to prove a refused one wrote nothing."""

    def snapshot() -> dict[str, Any]:
        return {
            "registrations": list(
                Registration.objects.values_list("pk", "status", "waitlist_rank")
            ),
            "messages": OutboxMessage.objects.count(),
            "moves": WaitlistMove.objects.count(),
        }

    return snapshot


@pytest.fixture
def queued_tasks(monkeypatch):  # type: ignore[no-untyped-def]
    """Tasks queued by on-commit hooks (name, args), instead of reaching the broker."""
    from attendance.tasks import promote_waitlist
    from notifications.tasks import dispatch_outbox

    queued: list[tuple[str, tuple[Any, ...]]] = []
    for task in (promote_waitlist, dispatch_outbox):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args=(), kwargs=None, task=task, **options: queued.append((task.name, args)),
        )
    return queued


# --- Registering ----------------------------------------------------------------------------------


def test_a_learner_is_confirmed_then_the_next_is_waitlisted_with_a_position(
    as_user, published, learners
):
    session = published(capacity=1)
    first, second = learners(2)

    confirmed = as_user(first).post(register_url(session))
    waitlisted = as_user(second).post(register_url(session))

    assert confirmed.status_code == 201, confirmed.content
    body = confirmed.json()
    assert (body["status"], body["position"], body["message"]) == ("confirmed", None, "Confirmed")
    assert body["registration"]["status"] == "confirmed"
    assert body["registration"]["session"]["id"] == session.pk
    assert body["registration"]["learner"]["id"] == first.pk
    assert body["registration"]["offer_expires_at"] is None
    assert waitlisted.status_code == 201, waitlisted.content
    body = waitlisted.json()
    assert (body["status"], body["position"]) == ("waitlisted", 1)
    assert body["message"] == "Added to the waitlist at position 1"
    assert body["registration"]["position"] == 1
    assert Registration.objects.get(pk=body["registration"]["id"]).learner == second


def test_registering_over_token_auth_costs_one_query_beyond_the_service(
    published, learner, django_assert_num_queries
):
    session = published()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner).key}")

    # token with roles; the service: one read (visible session, duplicate, prerequisites),
    # then lock-check-count-insert-and-outbox in one call; savepoint and release around that
    # call only because the test runs inside a transaction (in production it is its own).
    with django_assert_num_queries(5):
        response = api.post(register_url(session))

    assert response.status_code == 201


def test_registering_twice_is_a_conflict_and_writes_nothing(as_user, published, learner, counts):
    session = published()
    assert as_user(learner).post(register_url(session)).status_code == 201
    before = counts()

    response = as_user(learner).post(register_url(session))

    assert response.status_code == 409
    assert response.json()["code"] == "already_registered"
    assert counts() == before


def test_a_closed_window_is_a_conflict(as_user, published, learner):
    session = published()
    session.registration_closes_at = at("2026-01-01", "12:00")
    session.save()

    response = as_user(learner).post(register_url(session))

    assert response.status_code == 409
    assert response.json()["code"] == "registration_closed"
    assert not Registration.objects.exists()


def test_a_seat_at_the_same_time_is_a_conflict_naming_the_other_session(
    as_user, published, learner
):
    first = published()
    register(first, learner)
    other = published(
        rooms=[factories.RoomFactory()],
        instructors=[factories.InstructorFactory()],
        blocks=[(at("2030-03-04", "11:00"), at("2030-03-04", "13:00"))],
    )

    response = as_user(learner).post(register_url(other))

    assert response.status_code == 409
    assert response.json()["code"] == "schedule_clash"
    assert response.json()["conflicts"][0]["session_id"] == first.pk
    assert not Registration.objects.filter(session=other).exists()


def test_missing_prerequisites_are_a_400_naming_the_courses(as_user, published, course, learner):
    basics = factories.CourseFactory(code="BASIC-1", title="Basics")
    course.prerequisites.add(basics)
    session = published()

    response = as_user(learner).post(register_url(session))

    assert response.status_code == 400
    assert response.json()["code"] == "prerequisites_missing"
    assert "BASIC-1 Basics" in response.json()["message"]
    assert response.json()["extra"] == {"missing": [basics.pk]}
    assert not Registration.objects.exists()


def test_learners_cannot_register_for_sessions_they_cannot_see(as_user, schedule, learner):
    draft = schedule()

    assert as_user(learner).post(register_url(draft)).status_code == 404
    assert not Registration.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "anonymous", "auditor", "instructor"])
def test_only_learners_and_coordinators_register(as_user, persona_users, published, persona):
    session = published()

    response = as_user(persona_users[persona]).post(register_url(session))

    assert response.status_code == 403
    assert not Registration.objects.exists()


# --- Enrolling ------------------------------------------------------------------------------------


def test_a_coordinator_enrols_by_email_or_id_even_after_the_window_closed(
    coordinator_api, coordinator, published, learners
):
    session = published(capacity=1)
    session.registration_closes_at = at("2026-01-01", "12:00")
    session.save()
    first, second = learners(2)

    by_email = coordinator_api.post(
        enrol_url(session), {"learner": first.email.upper()}, format="json"
    )
    by_id = coordinator_api.post(enrol_url(session), {"learner": second.pk}, format="json")

    assert by_email.status_code == 201, by_email.content
    assert by_email.json()["status"] == "confirmed"
    assert by_id.status_code == 201
    assert by_id.json()["message"] == "Added to the waitlist at position 1"
    seat = Registration.objects.get(learner=first)
    assert (seat.source, seat.enrolled_by) == ("coordinator", coordinator)


def test_an_unknown_learner_is_a_400(coordinator_api, published):
    session = published()

    response = coordinator_api.post(
        enrol_url(session), {"learner": "nobody@example.org"}, format="json"
    )

    assert response.status_code == 400
    assert "learner" in response.json()["fields"]
    assert not Registration.objects.exists()


def test_a_learner_may_enrol_only_themself_and_within_the_window(
    as_user, published, learner, learners
):
    session = published()
    other = learners(1)[0]

    someone_else = as_user(learner).post(enrol_url(session), {"learner": other.pk}, format="json")
    themself = as_user(learner).post(enrol_url(session), {"learner": learner.pk}, format="json")

    assert someone_else.status_code == 403
    assert themself.status_code == 201
    assert Registration.objects.get().source == "self"  # not a coordinator's enrolment


def test_bulk_enrol_reports_every_address(coordinator_api, published, learners, learner):
    session = published(capacity=1)
    first, second = learners(2)
    register(session, learner)  # the only seat is taken
    text = f"{first.email}, ghost@example.org\n{second.email.upper()} ;"

    response = coordinator_api.post(
        bulk_url(session),
        {"emails": [learner.email, "not an email"], "text": text},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "confirmed": [],
        "waitlisted": [
            {"email": first.email, "position": 1},
            {"email": second.email, "position": 2},
        ],
        "unknown": ["not an email", "ghost@example.org"],
        "refused": [
            {
                "email": learner.email,
                "reason": f"{learner} is already registered for this session (confirmed).",
            }
        ],
    }


def test_bulk_enrol_refuses_more_than_1000_addresses_and_writes_nothing(
    coordinator_api, published, learners, counts
):
    session = published()
    known = learners(1)[0]
    before = counts()

    response = coordinator_api.post(
        bulk_url(session),
        {"emails": [known.email], "text": " ".join(f"x{i}@example.org" for i in range(1000))},
        format="json",
    )

    assert response.status_code == 400
    assert "1001" in response.json()["fields"]["emails"][0]
    assert counts() == before


@pytest.mark.parametrize("persona", ["learner", "auditor", "instructor", "outsider"])
def test_only_coordinators_bulk_enrol(as_user, persona_users, published, learners, persona):
    session = published()
    known = learners(1)[0]

    response = as_user(persona_users[persona]).post(
        bulk_url(session), {"emails": [known.email]}, format="json"
    )

    assert response.status_code == 403
    assert not Registration.objects.exists()


# --- My registrations -----------------------------------------------------------------------------


def listed(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_learner_sees_only_their_own_registrations(as_user, published, learner, learners):
    session = published(capacity=1)
    other = learners(1)[0]
    theirs = register(session, other)
    mine = register(session, learner)

    response = as_user(learner).get(REGISTRATIONS)

    assert listed(response) == {mine.pk}
    assert response.json()["results"][0]["position"] == 1
    assert listed(as_user(learner).get(f"{REGISTRATIONS}?learner={other.pk}")) == set()
    assert theirs.pk not in listed(as_user(learner).get(f"{REGISTRATIONS}?session={session.pk}"))


def test_coordinators_and_auditors_see_all_and_filter(
    as_user, coordinator, auditor, published, schedule, learners
):
    session = published(capacity=1)
    first, second = learners(2)
    seat, queued = register(session, first), register(session, second)

    for user in (coordinator, auditor):
        api = as_user(user)
        assert listed(api.get(REGISTRATIONS)) == {seat.pk, queued.pk}
        assert listed(api.get(f"{REGISTRATIONS}?status=waitlisted")) == {queued.pk}
        assert listed(api.get(f"{REGISTRATIONS}?learner={first.pk}")) == {seat.pk}
        assert listed(api.get(f"{REGISTRATIONS}?session={session.pk + 1}")) == set()


def test_instructors_see_the_registrations_of_the_sessions_they_teach(
    as_user, instructor, other_instructor, published, learners
):
    mine = published()
    theirs = published(
        rooms=[factories.RoomFactory()],
        instructors=[other_instructor],
        blocks=[(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
    )
    person = learners(1)[0]
    in_mine, in_theirs = register(mine, person), register(theirs, person)

    assert listed(as_user(instructor.user).get(REGISTRATIONS)) == {in_mine.pk}
    assert listed(as_user(other_instructor.user).get(REGISTRATIONS)) == {in_theirs.pk}


def test_the_registration_list_costs_a_fixed_number_of_queries(
    coordinator_api, coordinator, published, learners, django_assert_max_num_queries
):
    session = published(capacity=2)
    for person in learners(2):
        register(session, person)
    coordinator_api.get(REGISTRATIONS)  # roles cached

    for person in learners(8):
        register(session, person)
    with django_assert_max_num_queries(2):  # count and page (positions in the same query)
        response = coordinator_api.get(REGISTRATIONS)

    positions = sorted(r["position"] or 0 for r in response.json()["results"])
    assert positions == [0, 0, 1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
def test_outsiders_see_no_registrations(as_user, persona_users, persona):
    assert as_user(persona_users[persona]).get(REGISTRATIONS).status_code == 403


# --- Cancelling -----------------------------------------------------------------------------------


def test_cancelling_gives_the_seat_to_the_next_in_line_without_a_worker(
    as_user, published, learner, learners, queued_tasks, django_capture_on_commit_callbacks
):
    session = published(capacity=1)
    mine = register(session, learner)
    waiting = register(session, learners(1)[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(learner).post(cancel_url(mine), {"reason": "Clash"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "cancelled",
        "Clash",
    )
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert ("attendance.tasks.promote_waitlist", (session.pk,)) not in queued_tasks


def test_a_learner_cannot_cancel_someone_elses_place(as_user, published, learner, learners, counts):
    theirs = register(published(), learners(1)[0])
    before = counts()

    response = as_user(learner).post(cancel_url(theirs), {}, format="json")

    assert response.status_code == 404
    assert counts() == before


def test_a_coordinator_cancels_someone_elses_place_only_with_a_reason(
    coordinator_api, coordinator, published, learner, counts
):
    theirs = register(published(), learner)
    before = counts()

    refused = coordinator_api.post(cancel_url(theirs), {"reason": "  "}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["fields"]
    assert counts() == before

    done = coordinator_api.post(cancel_url(theirs), {"reason": "Left the company"}, format="json")
    assert done.status_code == 200
    theirs.refresh_from_db()
    assert (theirs.status, theirs.cancelled_by) == (RegistrationStatus.CANCELLED, coordinator)


def test_cancelling_twice_is_a_conflict(as_user, published, learner):
    mine = register(published(), learner)
    assert as_user(learner).post(cancel_url(mine), {}, format="json").status_code == 200

    again = as_user(learner).post(cancel_url(mine), {}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


# --- Offers ---------------------------------------------------------------------------------------


@pytest.fixture
def offer(published, learners):  # type: ignore[no-untyped-def]
    """A seat offered to the second learner (the first cancelled; offer policy)."""
    session = published(capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first, second, third = learners(3)
    seat = register(session, first)
    register(session, second)
    register(session, third)
    registration_cancel(registration_id=seat.pk, cancelled_by=first, now=NOW)
    return Registration.objects.get(session=session, status=RegistrationStatus.OFFERED)


def test_a_learner_accepts_their_offer(as_user, offer):
    response = as_user(offer.learner).post(reverse("api:attendance:offer-accept", args=[offer.pk]))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    offer.refresh_from_db()
    assert offer.status == RegistrationStatus.CONFIRMED


def test_declining_passes_the_seat_to_the_next_in_line_at_once(as_user, offer):
    response = as_user(offer.learner).post(reverse("api:attendance:offer-decline", args=[offer.pk]))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    next_offer = Registration.objects.get(
        session_id=offer.session_id, status=RegistrationStatus.OFFERED
    )
    assert next_offer.learner != offer.learner


def test_nobody_answers_someone_elses_offer(as_user, offer, learner, coordinator):
    url = reverse("api:attendance:offer-accept", args=[offer.pk])

    assert as_user(learner).post(url).status_code == 404
    assert as_user(coordinator).post(url).status_code == 403
    offer.refresh_from_db()
    assert offer.status == RegistrationStatus.OFFERED


def test_accepting_without_an_open_offer_is_a_conflict(as_user, published, learner):
    mine = register(published(), learner)

    response = as_user(learner).post(reverse("api:attendance:offer-accept", args=[mine.pk]))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


# --- Moving on the waitlist -----------------------------------------------------------------------


@pytest.fixture
def queue(published, learners):  # type: ignore[no-untyped-def]
    session = published(capacity=1)
    people = learners(4)
    return [register(session, person) for person in people][1:]  # three waitlisted


def test_a_coordinator_moves_a_learner_with_a_reason(coordinator_api, coordinator, queue):
    last = queue[-1]

    response = coordinator_api.post(
        move_url(last), {"to_position": 1, "reason": "Manager's priority"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["position"] == 1
    move = WaitlistMove.objects.get()
    assert (move.from_position, move.to_position, move.reason) == (3, 1, "Manager's priority")
    assert move.moved_by == coordinator


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to_position": 1}, "reason"),
        ({"to_position": 1, "reason": "   "}, "reason"),
        ({"to_position": 4, "reason": "Priority"}, "to_position"),
        ({"to_position": 0, "reason": "Priority"}, "to_position"),
    ],
)
def test_moving_needs_a_reason_and_a_position_in_the_queue(
    coordinator_api, queue, counts, body, field
):
    before = counts()

    response = coordinator_api.post(move_url(queue[-1]), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert counts() == before


@pytest.mark.parametrize("persona", ["learner", "instructor", "auditor", "outsider"])
def test_only_coordinators_move_learners(as_user, persona_users, queue, persona):
    response = as_user(persona_users[persona]).post(
        move_url(queue[-1]), {"to_position": 1, "reason": "Me first"}, format="json"
    )

    assert response.status_code == 403
    assert not WaitlistMove.objects.exists()


def test_moving_a_confirmed_learner_is_a_conflict(coordinator_api, published, learner):
    seat = register(published(), learner)

    response = coordinator_api.post(
        move_url(seat), {"to_position": 1, "reason": "Priority"}, format="json"
    )

    assert response.status_code == 409


def test_a_completed_session_is_closed_for_registration(coordinator_api, published, learner):
    session = published()
    session_transition(
        session_id=session.pk, to_status=SessionStatus.COMPLETED, now=at("2030-03-04", "13:00")
    )

    response = coordinator_api.post(enrol_url(session), {"learner": learner.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "registration_closed"
