"""The coordinator's roster and waitlist on the session page: enrol one learner, bulk enrol
(every address reported), cancel with a reason, move on the waitlist only with a reason."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import Registration, RegistrationSource, RegistrationStatus, WaitlistMove
from attendance.selectors import waitlist_for
from attendance.services.registration import registration_create
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


def _messages(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_the_session_page_shows_roster_and_waitlist_with_actions(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    first, second, third = learners(3)
    for person in (first, second, third):
        registration_create(session_id=session.pk, learner=person, now=NOW)
    page = page_client(coordinator).get(reverse("scheduling:session-detail", args=[session.pk]))
    assert [r.learner for r in page.context["roster"]] == [first]
    assert [(r.learner, r.position) for r in page.context["waitlist"]] == [(second, 1), (third, 2)]
    html = page.content.decode()
    assert "Full — 2 on the waitlist" in html
    assert page.context["enrol_form"] is not None
    assert reverse("attendance:registration-bulk-enrol", args=[session.pk]) in html
    assert reverse("attendance:waitlist-move", args=[page.context["waitlist"][1].pk]) in html
    assert "Cancel registration" in html


def test_a_coordinator_enrols_one_learner_by_email(page_client, coordinator, learners, schedule):
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    client = page_client(coordinator)
    url = reverse("attendance:registration-enrol", args=[session.pk])

    response = client.post(url, {"email": first.email.upper()})
    assert response.status_code == 302
    assert _messages(response)[-1][0] == "success"
    registration = Registration.objects.get(learner=first)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.enrolled_by == coordinator
    assert registration.source == RegistrationSource.COORDINATOR

    response = client.post(url, {"email": second.email})
    assert "added to the waitlist at position 1" in _messages(response)[-1][1]

    unknown = client.post(url, {"email": "nobody@example.org"})
    assert _messages(unknown)[-1] == (
        "error",
        "No account uses nobody@example.org. Check the address, or use bulk enrolment to see "
        "which addresses are unknown.",
    )
    twice = client.post(url, {"email": first.email})
    assert _messages(twice)[-1][0] == "error"
    assert "already registered" in _messages(twice)[-1][1]
    assert Registration.objects.count() == 2


def test_bulk_enrol_reports_every_address(page_client, coordinator, learners, schedule):
    session = schedule(status="scheduled", capacity=2)
    one, two, three, already = learners(4)
    registration_create(session_id=session.pk, learner=already, now=NOW)
    client = page_client(coordinator)
    url = reverse("attendance:registration-bulk-enrol", args=[session.pk])
    assert client.get(url).status_code == 200

    pasted = (
        f"{one.email}, {two.email}\n{three.email}; ghost@example.org\n{already.email} not-an-email"
    )
    response = client.post(url, {"emails": pasted})
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.confirmed == [one.email]
    assert outcome.waitlisted == [(two.email, 1), (three.email, 2)]
    assert outcome.unknown == ["ghost@example.org", "not-an-email"]
    assert [email for email, _reason in outcome.refused] == [already.email]
    html = response.content.decode()
    assert "Unknown — no account uses these addresses" in html
    assert "ghost@example.org" in html
    assert "not-an-email" in html
    assert "position 2" in html
    assert Registration.objects.filter(source=RegistrationSource.BULK).count() == 3


def test_bulk_enrol_reads_the_email_column_of_an_uploaded_csv(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled")
    one, two = learners(2)
    upload = SimpleUploadedFile(
        "people.csv",
        f"name,email\nOne,{one.email}\nTwo,{two.email}\nThree,ghost@example.org\n".encode(),
        content_type="text/csv",
    )
    response = page_client(coordinator).post(
        reverse("attendance:registration-bulk-enrol", args=[session.pk]), {"file": upload}
    )
    outcome = response.context["outcome"]
    assert outcome.confirmed == [one.email, two.email]
    assert outcome.unknown == ["ghost@example.org"]


def test_a_binary_upload_is_a_form_error_not_a_crash(page_client, coordinator, schedule):
    session = schedule(status="scheduled")
    upload = SimpleUploadedFile("people.csv", b"a\x00b@example.org\n", content_type="text/csv")

    response = page_client(coordinator).post(
        reverse("attendance:registration-bulk-enrol", args=[session.pk]), {"file": upload}
    )

    assert response.status_code == 400
    assert "The file must be plain text (UTF-8)." in response.content.decode()
    assert not Registration.objects.exists()


def test_bulk_enrol_needs_at_least_one_address(page_client, coordinator, schedule):
    session = schedule(status="scheduled")
    response = page_client(coordinator).post(
        reverse("attendance:registration-bulk-enrol", args=[session.pk]), {"emails": " \n "}
    )
    assert response.status_code == 400
    assert "Paste at least one email address or upload a list." in response.content.decode()
    assert not Registration.objects.exists()


def test_moving_a_learner_on_the_waitlist_requires_a_reason(
    page_client, coordinator, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    people = learners(4)
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    last = Registration.objects.get(learner=people[3])
    client = page_client(coordinator)
    url = reverse("attendance:waitlist-move", args=[last.pk])

    for data in ({"to_position": 1}, {"to_position": 1, "reason": "   "}):
        response = client.post(url, data)
        assert response.status_code == 302
        assert _messages(response)[-1][0] == "error"
    assert "reason" in _messages(response)[-1][1]
    assert not WaitlistMove.objects.exists()
    assert [r.learner for r in waitlist_for(session)] == people[1:]

    out_of_range = client.post(url, {"to_position": 9, "reason": "VIP"})
    assert "Choose a position between 1 and 3." in _messages(out_of_range)[-1][1]

    response = client.post(url, {"to_position": 1, "reason": "Needs it for certification"})
    assert response["Location"].endswith("#waitlist-heading")
    assert _messages(response)[-1][0] == "success"
    assert [r.learner for r in waitlist_for(session)] == [people[3], people[1], people[2]]
    move = WaitlistMove.objects.get()
    assert (move.from_position, move.to_position) == (3, 1)
    assert move.reason == "Needs it for certification"
    assert move.moved_by == coordinator


def test_the_roster_page_has_the_same_lists(page_client, coordinator, learners, schedule):
    session = schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))], status="scheduled", capacity=1
    )
    first, second = learners(2)
    registration_create(session_id=session.pk, learner=first, now=NOW)
    registration_create(session_id=session.pk, learner=second, now=NOW)
    page = page_client(coordinator).get(reverse("attendance:roster", args=[session.pk]))
    assert page.status_code == 200
    assert [r.learner for r in page.context["roster"]] == [first]
    assert [r.learner for r in page.context["waitlist"]] == [second]
    assert first.email in page.content.decode()


def test_enrolment_is_closed_once_a_session_is_a_draft_or_gone(page_client, coordinator, schedule):
    draft = schedule(instructors=[factories.InstructorFactory()])
    learner = factories.UserFactory(role="Learner")
    response = page_client(coordinator).post(
        reverse("attendance:registration-enrol", args=[draft.pk]), {"email": learner.email}
    )
    assert _messages(response)[-1] == ("error", "This session is not open for registration.")
    assert not Registration.objects.exists()
    missing = page_client(coordinator).post(
        reverse("attendance:registration-enrol", args=[999999]), {"email": learner.email}
    )
    assert missing.status_code == 404


def test_roster_times_are_in_the_readers_zone_named(page_client, coordinator, learners, schedule):
    """The roster's "Since" and "Joined" columns were in the venue's zone without its name."""
    from tms.models import Profile

    Profile.objects.create(user=coordinator, time_zone="America/New_York")
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    for person in (first, second):
        registration_create(session_id=session.pk, learner=person, now=NOW)
    Registration.objects.filter(learner=second).update(created_at=at("2030-03-01", "10:00"))

    html = page_client(coordinator).get(reverse("attendance:roster", args=[session.pk]))
    text = html.content.decode()

    assert "1 Mar 2030, 03:00 EST" in text  # confirmed at 08:00 UTC
    assert "1 Mar 2030, 04:00 EST" in text  # joined the waitlist at 10:00 Paris
