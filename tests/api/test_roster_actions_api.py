"""The roster's coordinator actions through the API: a chosen learner's seat (409 when none
is free) and "message everyone registered" (one outbox row per recipient)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from attendance.models import RegistrationStatus, RosterMessage, WaitlistPromotion
from attendance.services.registration import registration_create
from notifications.models import OutboxMessage
from scheduling.models import Session
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _promote_url(registration_id: int) -> str:
    return reverse("api:attendance:waitlist-promote", args=[registration_id])


def test_a_coordinator_gives_a_seat_to_a_chosen_learner_or_hears_none_is_free(
    as_user, coordinator, learners, schedule
):
    session = schedule(status="scheduled", capacity=1)
    rows = [
        registration_create(session_id=session.pk, learner=p, now=NOW).row() for p in learners(3)
    ]
    api = as_user(coordinator)

    full = api.post(_promote_url(rows[2].pk), {"reason": "Urgent"}, format="json")
    assert full.status_code == 409
    assert full.json()["code"] == "session_full"
    assert not WaitlistPromotion.objects.exists()

    no_reason = api.post(_promote_url(rows[2].pk), {}, format="json")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["fields"]

    Session.objects.filter(pk=session.pk).update(capacity=2)
    given = api.post(_promote_url(rows[2].pk), {"reason": "Urgent"}, format="json")
    assert given.status_code == 200
    assert given.json()["status"] == RegistrationStatus.CONFIRMED
    assert given.json()["from_position"] == 2
    assert WaitlistPromotion.objects.get().reason == "Urgent"


def test_a_coordinator_messages_everyone_registered(as_user, coordinator, learners, schedule):
    session = schedule(status="scheduled", capacity=1)
    for person in learners(3):
        registration_create(session_id=session.pk, learner=person, now=NOW)
    url = reverse("api:attendance:roster-message", args=[session.pk])

    sent = as_user(coordinator).post(
        url, {"audience": "everyone", "subject": "Parking", "body": "Use gate B."}, format="json"
    )

    assert sent.status_code == 201
    assert sent.json()["recipients"] == 3
    assert OutboxMessage.objects.filter(template="roster_message").count() == 3
    assert RosterMessage.objects.get().subject == "Parking"
    bad = as_user(coordinator).post(url, {"audience": "all", "subject": "x"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"audience", "body"}
