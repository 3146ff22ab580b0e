"""The notification ledger through the API: every message with filters and pagination, the
48-hour preview, and resending (coordinators)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.urls import reverse

from attendance.services.registration import registration_create
from notifications.models import MessageStatus, OutboxMessage
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

MESSAGES = reverse("api:notifications:message-list")
PREVIEW = reverse("api:attendance:message-preview")


def resend_url(message: Any) -> str:
    return reverse("api:notifications:message-resend", args=[message.pk])


@pytest.fixture
def outbox(schedule, learners):  # type: ignore[no-untyped-def]
    """Three registration messages: one sent, one failed, one still queued (waitlisted)."""
    session = schedule(status="scheduled", capacity=2)
    # The instructor's invite is not what these tests are about.
    OutboxMessage.objects.filter(template__startswith="instructor_").delete()
    people = learners(3)
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    sent, failed, queued = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk=sent.pk).update(
        status=MessageStatus.SENT, attempts=1, sent_at=NOW, subject="Confirmed: SAFE-101"
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, attempts=6, last_error="SMTPRecipientsRefused: 550"
    )
    return {"sent": sent, "failed": failed, "queued": queued, "people": people}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_coordinators_and_auditors_see_every_message_newest_first(
    as_user, coordinator, auditor, outbox
):
    for user in (coordinator, auditor):
        response = as_user(user).get(MESSAGES)

        assert ids(response) == [outbox["queued"].pk, outbox["failed"].pk, outbox["sent"].pk]
        assert response.json()["count"] == 3
    failed = as_user(coordinator).get(MESSAGES).json()["results"][1]
    assert failed["status"] == "failed"
    assert failed["attempts"] == 6
    assert failed["last_error"] == "SMTPRecipientsRefused: 550"
    assert failed["address"] == outbox["people"][1].email
    assert failed["rule"]
    assert failed["template"] == "registration_confirmed"


def test_the_ledger_filters_by_status_template_and_search(coordinator_api, outbox):
    def listed(query: str) -> list[int]:
        return ids(coordinator_api.get(f"{MESSAGES}?{query}"))

    assert listed("status=sent") == [outbox["sent"].pk]
    assert listed("template=registration_waitlisted") == [outbox["queued"].pk]
    assert listed(f"search={outbox['people'][1].email}") == [outbox["failed"].pk]
    assert listed("search=&template=") == [outbox[k].pk for k in ("queued", "failed", "sent")]
    assert listed("status=bounced") == []


@pytest.mark.parametrize("persona", ["learner", "instructor", "outsider", "anonymous"])
def test_only_coordinators_and_auditors_read_the_ledger(as_user, persona_users, outbox, persona):
    api = as_user(persona_users[persona])

    assert api.get(MESSAGES).status_code == 403
    assert api.get(PREVIEW).status_code == 403


def test_a_coordinator_resends_a_sent_or_failed_message(coordinator_api, outbox):
    response = coordinator_api.post(resend_url(outbox["failed"]))

    assert response.status_code == 201, response.content
    copy = OutboxMessage.objects.get(pk=response.json()["id"])
    assert response.json()["resend_of"] == outbox["failed"].pk
    assert response.json()["status"] == "queued"
    assert (copy.address, copy.template) == (outbox["failed"].address, "registration_confirmed")


def test_a_message_not_sent_yet_cannot_be_resent(coordinator_api, outbox):
    response = coordinator_api.post(resend_url(outbox["queued"]))

    assert response.status_code == 409
    assert response.json()["message"] == "This message has not been sent yet."
    assert OutboxMessage.objects.count() == 3


def test_resending_an_unknown_message_is_a_404(coordinator_api, outbox):
    assert coordinator_api.post("/api/v1/messages/987654/resend/").status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "learner", "instructor", "outsider"])
def test_only_coordinators_resend(as_user, persona_users, outbox, persona):
    response = as_user(persona_users[persona]).post(resend_url(outbox["sent"]))

    assert response.status_code == 403
    assert OutboxMessage.objects.count() == 3


def test_the_preview_lists_reminders_due_in_the_next_48_hours(
    as_user, coordinator, auditor, schedule, learner
):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)

    with time_machine.travel(at("2030-03-03", "08:00"), tick=False):
        response = as_user(coordinator).get(PREVIEW)
        assert as_user(auditor).get(PREVIEW).json() == response.json()

    assert response.status_code == 200, response.content
    preview = response.json()
    assert [item["rule"] for item in preview] == ["reminder 24 h before", "reminder 1 h before"]
    assert preview[0]["session"]["id"] == session.pk
    assert preview[0]["when"] == "2030-03-03T08:00:00Z"  # 24 h before 09:00 Paris
    assert preview[0]["recipients"] == 2  # the learner and the instructor


def test_the_preview_looks_ahead_as_far_as_asked(coordinator_api, schedule, learner):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)

    with time_machine.travel(at("2030-03-03", "08:00"), tick=False):
        soon = coordinator_api.get(f"{PREVIEW}?hours=2").json()
        too_far = coordinator_api.get(f"{PREVIEW}?hours=1000")

    assert [item["rule"] for item in soon] == ["reminder 24 h before"]
    assert too_far.status_code == 400
    assert "hours" in too_far.json()["fields"]
