"""The Messages page warns coordinators when no worker has been seen, or mail is stuck, for
HEALTH_ALERT_MINUTES (5). Time moves with time-machine."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from notifications.models import OutboxMessage
from tests.conftest import NOW
from tms.heartbeat import heartbeat_record
from tms.services import profile_set_time_zone

pytestmark = pytest.mark.django_db

LEDGER = "notifications:message-list"
WARNING = "Messages are not going out"


def _queue_message(due: dt.datetime, email: str) -> None:
    OutboxMessage.objects.create(
        channel="email",
        address=email,
        event_key=f"test:{email}",
        template="registration_confirmed",
        rule="test",
        available_at=due,
    )


def test_coordinators_are_warned_when_no_worker_has_been_seen(page_client, coordinator):
    heartbeat_record(worker="celery@a", now=NOW)
    with time_machine.travel(NOW + dt.timedelta(minutes=12), tick=False):
        page = page_client(coordinator).get(reverse(LEDGER))
    html = page.content.decode()
    assert WARNING in html
    assert "The background worker has not answered since Fri 1 Mar, 08:00 UTC (12" in html


def test_no_warning_while_the_worker_reports_and_mail_flows(page_client, coordinator):
    with time_machine.travel(NOW, tick=False):
        heartbeat_record(worker="celery@a", now=NOW)
        _queue_message(NOW - dt.timedelta(minutes=1), "a@example.org")  # due, just not sent yet
        page = page_client(coordinator).get(reverse(LEDGER))
    assert WARNING not in page.content.decode()


def test_coordinators_are_warned_about_mail_stuck_past_its_send_time(page_client, coordinator):
    with time_machine.travel(NOW, tick=False):
        heartbeat_record(worker="celery@a", now=NOW)
        _queue_message(NOW - dt.timedelta(minutes=20), "a@example.org")
        _queue_message(NOW - dt.timedelta(minutes=8), "b@example.org")
        page = page_client(coordinator).get(reverse(LEDGER))
    html = page.content.decode()
    assert WARNING in html
    assert "2 messages have been waiting more than 5 minutes past their send time" in html
    assert "the oldest was due Fri 1 Mar, 07:40 UTC" in html
    assert "background worker" not in html


def test_the_warning_uses_the_viewers_time_zone(page_client, coordinator):
    profile_set_time_zone(user=coordinator, time_zone="Europe/Paris")
    heartbeat_record(worker="celery@a", now=NOW)
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        page = page_client(coordinator).get(reverse(LEDGER))
    assert "not answered since Fri 1 Mar, 09:00 CET" in page.content.decode()
