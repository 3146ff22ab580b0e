"""A stopped worker or stuck mail is visible: /health/ answers 503 with the facts, and the
Messages page warns coordinators. Time moves with time-machine; heartbeats come from the task."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from notifications.models import MessageStatus, OutboxMessage
from tests.conftest import NOW
from tms.heartbeat import heartbeat_record
from tms.models import WorkerHeartbeat
from tms.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def _queue_message(due: dt.datetime, email: str = "learner@example.org") -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel="email",
        address=email,
        event_key=f"test:{email}:{due.isoformat()}",
        template="registration_confirmed",
        rule="test",
        available_at=due,
    )


def test_health_is_503_until_a_worker_has_been_seen(client):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["worker_last_seen"] is None
    assert body["worker_silent"] is True
    assert body["mail_stuck"] == 0


def test_health_is_200_while_the_worker_reports_and_503_once_it_stops(client):
    with time_machine.travel(NOW, tick=False):
        record_heartbeat.apply()  # what beat sends every 30 s
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["worker_last_seen"] == NOW.isoformat()
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        assert client.get("/health/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=6), tick=False):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["worker_silent"] is True
    assert response.json()["worker_seen_seconds_ago"] == 360


def test_the_freshest_of_several_workers_counts():
    heartbeat_record(worker="celery@a", now=NOW - dt.timedelta(hours=1))
    heartbeat_record(worker="celery@b", now=NOW)
    heartbeat_record(worker="celery@a", now=NOW - dt.timedelta(minutes=1))  # an upsert
    assert WorkerHeartbeat.objects.count() == 2
    assert set(WorkerHeartbeat.objects.values_list("seen_at", flat=True)) == {
        NOW,
        NOW - dt.timedelta(minutes=1),
    }


def test_mail_waiting_past_its_send_time_makes_health_fail_with_its_age(client):
    heartbeat_record(worker="celery@a", now=NOW)
    _queue_message(NOW - dt.timedelta(minutes=2), "recent@example.org")
    _queue_message(NOW - dt.timedelta(minutes=10), "old@example.org")
    _queue_message(NOW + dt.timedelta(minutes=30), "later@example.org")  # a retry, not due yet
    with time_machine.travel(NOW, tick=False):
        response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["worker_silent"] is False
    assert body["mail_stuck"] == 1  # only the one overdue by more than 5 minutes
    assert body["oldest_queued_seconds"] == 600


def test_sent_mail_is_not_stuck(client):
    heartbeat_record(worker="celery@a", now=NOW)
    message = _queue_message(NOW - dt.timedelta(minutes=10))
    OutboxMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, sent_at=NOW)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["mail_stuck"] == 0
    assert response.json()["oldest_queued_seconds"] is None


def test_health_is_503_when_the_database_cannot_be_reached(client, monkeypatch):
    def refuse(self):  # type: ignore[no-untyped-def]
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_health_needs_no_sign_in_and_is_never_cached(client):
    response = client.get("/health/")
    assert response.status_code in (200, 503)
    assert "no-store" in response["Cache-Control"]
    assert client.post("/health/").status_code == 405
