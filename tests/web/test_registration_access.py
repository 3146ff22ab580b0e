"""Who may open the registration pages and use their buttons: each role allowed or refused as
the policy table says, learners never see rosters, instructors only their sessions' rosters,
outsiders and anonymous visitors nowhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from attendance.models import Registration, RegistrationStatus, WaitlistMove
from attendance.services.registration import registration_create
from attendance.tokens import offer_token
from notifications.models import MessageStatus, OutboxMessage
from scheduling.models import WaitlistPolicy
from tests import factories
from tests.conftest import NOW, at
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "auditor", "instructor", "learner", "outsider"]


@pytest.fixture
def persona(coordinator, auditor, instructor, learner, outsider):  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "instructor": instructor.user,
        "learner": learner,
        "outsider": outsider,
    }


@pytest.fixture
def full_session(schedule, learner, learners):  # type: ignore[no-untyped-def]
    """A published session (taught by `instructor`) with `learner` confirmed and one more
    learner waiting."""
    session = schedule(status="scheduled", capacity=1)
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    return session


def _pages(session, registration) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "catalog": reverse("attendance:catalog"),
        "my-training": reverse("attendance:my-training"),
        "roster": reverse("attendance:roster", args=[session.pk]),
        "bulk-enrol": reverse("attendance:registration-bulk-enrol", args=[session.pk]),
        "offer": reverse("attendance:offer", args=[offer_token(registration.pk, "accept")]),
        "ledger": reverse("notifications:message-list"),
    }


# Expected status per page for a published session the instructor teaches. The offer link is
# the learner's own (not open any more, so a 200 "already confirmed" page).
ALLOWED = {
    "catalog": {"coordinator", "auditor", "instructor", "learner"},
    "my-training": {"coordinator", "auditor", "instructor", "learner"},
    "roster": {"coordinator", "auditor", "instructor"},
    "bulk-enrol": {"coordinator"},
    "offer": {"learner"},
    "ledger": {"coordinator", "auditor"},
}


@pytest.mark.parametrize("who", PERSONAS)
def test_each_role_gets_exactly_the_registration_pages_it_is_allowed(
    who, persona, page_client, full_session, learner
):
    client = page_client(persona[who])
    mine = Registration.objects.get(learner=learner)
    for page, url in _pages(full_session, mine).items():
        response = client.get(url)
        expected = 200 if who in ALLOWED[page] else 403
        assert response.status_code == expected, (who, page, response.status_code)
        if expected == 200:
            assert inline_code_in(response.content.decode()) == [], page


def test_anonymous_visitors_are_sent_to_sign_in_and_back(page_client, full_session, learner):
    client = page_client(None)
    mine = Registration.objects.get(learner=learner)
    for url in _pages(full_session, mine).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    offer_url = _pages(full_session, mine)["offer"]
    assert client.get(offer_url)["Location"].endswith(offer_url.replace(":", "%3A"))


def test_learners_never_see_a_roster(page_client, learner, full_session):
    response = page_client(learner).get(
        reverse("scheduling:session-detail", args=[full_session.pk])
    )
    assert response.status_code == 200
    assert "roster" not in response.context or not response.context.get("shows_roster")
    html = response.content.decode()
    assert 'id="roster-heading"' not in html
    assert 'id="waitlist-heading"' not in html


def test_instructors_see_only_the_rosters_of_sessions_they_teach(
    page_client, instructor, schedule, full_session
):
    other = schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        instructors=[factories.InstructorFactory()],
        status="scheduled",
    )
    client = page_client(instructor.user)
    assert client.get(reverse("attendance:roster", args=[other.pk])).status_code == 403
    other_page = client.get(reverse("scheduling:session-detail", args=[other.pk]))
    assert other_page.status_code == 200
    assert 'id="roster-heading"' not in other_page.content.decode()

    own = client.get(reverse("scheduling:session-detail", args=[full_session.pk]))
    html = own.content.decode()
    assert 'id="roster-heading"' in html
    assert [r.learner.username for r in own.context["roster"]] == ["learner"]
    assert len(own.context["waitlist"]) == 1
    # Read-only: no enrol, cancel or move forms.
    assert own.context["enrol_form"] is None
    assert not own.context["can_cancel_any"]
    assert not own.context["can_move_waitlist"]
    assert "Cancel registration" not in html
    assert reverse("attendance:registration-enrol", args=[full_session.pk]) not in html


def test_auditors_see_rosters_and_the_ledger_read_only(page_client, auditor, full_session):
    client = page_client(auditor)
    page = client.get(reverse("scheduling:session-detail", args=[full_session.pk]))
    assert page.context["shows_roster"]
    assert page.context["enrol_form"] is None
    assert "Cancel registration" not in page.content.decode()
    ledger = client.get(reverse("notifications:message-list"))
    assert not ledger.context["can_resend"]
    assert "Resend" not in ledger.content.decode()


@pytest.mark.parametrize("who", ["auditor", "instructor", "outsider"])
def test_only_learners_register_themselves(who, persona, page_client, schedule):
    session = schedule(status="scheduled")
    response = page_client(persona[who]).post(
        reverse("attendance:registration-create", args=[session.pk])
    )
    assert response.status_code == 403
    assert not Registration.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "instructor", "learner", "outsider"])
def test_only_coordinators_enrol_cancel_others_move_and_resend(
    who, persona, page_client, full_session, learners
):
    client = page_client(persona[who])
    someone = learners(1)[0]
    waiting = Registration.objects.get(status=RegistrationStatus.WAITLISTED)
    confirmed = Registration.objects.get(status=RegistrationStatus.CONFIRMED)
    message = OutboxMessage.objects.first()
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED)
    attempts = [
        (
            reverse("attendance:registration-enrol", args=[full_session.pk]),
            {"email": someone.email},
        ),
        (
            reverse("attendance:registration-bulk-enrol", args=[full_session.pk]),
            {"emails": someone.email},
        ),
        (
            reverse("attendance:waitlist-move", args=[waiting.pk]),
            {"to_position": 1, "reason": "x"},
        ),
        (reverse("notifications:message-resend", args=[message.pk]), {}),
    ]
    if who != "learner":  # the learner owns `confirmed`; see the next test for others' places
        attempts.append(
            (reverse("attendance:registration-cancel", args=[confirmed.pk]), {"reason": "x"})
        )
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, (who, url)
    assert Registration.objects.filter(learner=someone).count() == 0
    assert not WaitlistMove.objects.exists()
    assert OutboxMessage.objects.filter(resend_of__isnull=False).count() == 0
    confirmed.refresh_from_db()
    assert confirmed.status == RegistrationStatus.CONFIRMED


def test_a_learner_cannot_cancel_or_answer_someone_elses_place(
    page_client, learner, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    other = learners(1)[0]
    theirs = registration_create(session_id=session.pk, learner=other, now=NOW).row()
    client = page_client(learner)
    cancel = client.post(reverse("attendance:registration-cancel", args=[theirs.pk]), {})
    assert cancel.status_code == 404
    Registration.objects.filter(pk=theirs.pk).update(
        status=RegistrationStatus.OFFERED, offer_expires_at=at("2030-03-02", "09:00")
    )
    accept = client.post(reverse("attendance:offer-accept", args=[theirs.pk]))
    assert accept.status_code == 404
    link = client.get(reverse("attendance:offer", args=[offer_token(theirs.pk, "accept")]))
    assert link.status_code == 403
    assert "This link is for another account" in link.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == RegistrationStatus.OFFERED
