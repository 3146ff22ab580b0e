"""The learner's agenda in "My training" and "Add to calendar": the .ics download carries the
emailed invite's UIDs and instants, as icalendar, vobject and ical.js read them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import icalendar
import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.services.registration import registration_create
from notifications.services import outbox_dispatch
from tests import factories
from tests.calendar_clients import every_client_reads
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _download(client: Any, registration_id: int) -> Any:
    return client.get(reverse("attendance:registration-calendar", args=[registration_id]))


def _uids(text: str) -> list[str]:
    return sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_add_to_calendar_has_the_invites_uids_and_every_client_reads_the_same_instants(
    page_client, schedule, learner
):
    # Two days, the second across the clock change (Paris goes to summer time on 31 Mar).
    session = schedule(
        [
            (at("2030-03-30", "09:00"), at("2030-03-30", "17:00")),
            (at("2030-03-31", "01:00"), at("2030-03-31", "05:00")),
        ],
        status="scheduled",
    )
    registration = registration_create(
        session_id=session.pk, learner=learner, now=NOW
    ).registration_id
    outbox_dispatch(now=NOW)
    # The session's instructor gets an invite of their own; this is the learner's.
    (confirmation,) = [message for message in mail.outbox if message.to == [learner.email]]
    emailed = confirmation.alternatives[1][0]

    response = _download(page_client(learner), registration)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="SAFE-101-{session.pk}.ics"'
    downloaded = response.content.decode()
    assert "METHOD:PUBLISH" in downloaded
    assert "ATTENDEE" not in downloaded
    assert _uids(downloaded) == _uids(emailed)
    assert len(_uids(downloaded)) == 2
    read = every_client_reads([emailed, downloaded])
    for client, (from_mail, from_download) in read.items():
        assert from_download == from_mail, client
        blocks = sorted(from_download.values())
        assert blocks[1] == (
            dt.datetime(2030, 3, 31, 0, 0, tzinfo=dt.UTC),
            dt.datetime(2030, 3, 31, 3, 0, tzinfo=dt.UTC),
        ), client


def test_the_join_link_is_in_the_download_only_for_a_confirmed_seat(
    page_client, schedule, learners, host_account
):
    session = schedule(mode="vilt", host_account=host_account, status="scheduled", capacity=1)
    seated, waiting = learners(2)
    first = registration_create(session_id=session.pk, learner=seated, now=NOW).registration_id
    second = registration_create(session_id=session.pk, learner=waiting, now=NOW).registration_id
    assert session.join_url
    assert session.join_url in _download(page_client(seated), first).content.decode()
    waiting_copy = _download(page_client(waiting), second)
    assert waiting_copy.status_code == 200
    assert session.join_url not in waiting_copy.content.decode()


def test_nobody_downloads_another_learners_registration(
    page_client, schedule, learners, coordinator
):
    session = schedule(status="scheduled")
    mine, theirs = learners(2)
    registration = registration_create(session_id=session.pk, learner=mine, now=NOW).registration_id
    assert _download(page_client(theirs), registration).status_code == 404
    assert _download(page_client(coordinator), registration).status_code == 404
    assert _download(page_client(None), registration).status_code == 302


def test_my_training_lists_upcoming_blocks_by_local_day_with_add_to_calendar(
    page_client, schedule, learner
):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "23:00"), at("2030-03-06", "01:00")),
        ],
        status="scheduled",
    )
    registration = registration_create(
        session_id=session.pk, learner=learner, now=NOW
    ).registration_id
    client = page_client(learner)
    client.cookies["tz"] = "America/New_York"

    html = client.get(reverse("attendance:my-training")).content.decode()

    agenda = html[html.index('id="agenda-heading"') :]
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', agenda)
    # New York: 03:00-06:00 on the 4th; 17:00-19:00 on the 5th (23:00-01:00 in Paris).
    assert days == ["2030-03-04", "2030-03-05"]
    assert "17:00\N{EN DASH}19:00 EST" in agenda
    assert "(23:00 \N{EN DASH} Wed 6 Mar, 01:00 CET at the venue)" in agenda
    download = reverse("attendance:registration-calendar", args=[registration])
    assert agenda.count(f'href="{download}"') == 2


def test_my_training_queries_do_not_grow_with_the_number_of_sessions(
    page_client, schedule, learner, room
):
    client = page_client(learner)

    def measure() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("attendance:my-training"))
        assert response.status_code == 200
        return len(captured)

    def book(index: int) -> None:
        day = dt.date(2030, 3, 4) + dt.timedelta(days=index)
        session = schedule(
            [(at(day.isoformat(), "09:00"), at(day.isoformat(), "10:00"))],
            rooms=[factories.RoomFactory()],
            status="scheduled",
        )
        registration_create(session_id=session.pk, learner=learner, now=NOW)

    book(0)
    one = measure()
    for index in range(1, 20):
        book(index)
    assert measure() == one
    # Session, user, roles; registrations, their blocks (rooms, sites), any-date waitlists; the
    # subscribe block's feed token.
    assert one == 7


def test_the_download_costs_the_same_queries_for_one_block_or_many(page_client, schedule, learners):
    short = schedule(status="scheduled")
    days = [dt.date(2030, 3, 10) + dt.timedelta(days=i) for i in range(6)]
    long = schedule(
        [(at(d.isoformat(), "09:00"), at(d.isoformat(), "12:00")) for d in days],
        status="scheduled",
    )
    one, six = learners(2)
    first = registration_create(session_id=short.pk, learner=one, now=NOW).registration_id
    second = registration_create(session_id=long.pk, learner=six, now=NOW).registration_id
    counts = []
    for user, registration in ((one, first), (six, second)):
        client = page_client(user)
        with CaptureQueriesContext(connection) as captured:
            assert _download(client, registration).status_code == 200
        counts.append(len(captured))
    # Session, user, roles, the registration (with its learner's profiles, session and course)
    # and its blocks (with rooms and sites).
    assert counts == [5, 5]
