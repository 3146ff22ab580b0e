"""Calendar clients read a feed at the instants we meant: icalendar, vobject and Mozilla's
ical.js (tests/calendar_clients.py), for sessions in a northern zone with daylight saving time
(New York), a southern one (Sydney, summer time from October to April) and Paris, with blocks
across each clock change; one VTIMEZONE per zone used, the same as the invites'."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
import time_machine
from django.test import Client

from notifications.ical import block_uid
from notifications.ical_text import escape_text, fold
from scheduling.models import AssignmentRole, DeliveryMode, FeedKind
from scheduling.services import ProposedBlock, ProposedInstructor, SessionInput, session_create
from scheduling.services.feed_tokens import feed_token_issue
from tests import factories
from tests.calendar_clients import every_client_reads

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)


def local(zone: str, text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


# (zone, [(start, end) wall times]): across spring-forward and fall-back in each zone.
SESSIONS = [
    (
        "America/New_York",
        [
            ("2030-03-10T00:30", "2030-03-10T04:00"),  # across the gap (02:00 -> 03:00)
            ("2030-11-03T00:30", "2030-11-03T03:00"),  # across the repeated hour
        ],
    ),
    (
        "Australia/Sydney",
        [
            ("2030-04-07T01:00", "2030-04-07T04:00"),  # summer time ends (03:00 -> 02:00)
            ("2030-10-06T01:00", "2030-10-06T04:00"),  # summer time starts (02:00 -> 03:00)
        ],
    ),
    ("Europe/Paris", [("2030-03-31T01:00", "2030-03-31T04:00")]),
]


@pytest.fixture
def feed(host_account):  # type: ignore[no-untyped-def]
    """An instructor teaching one VILT session per zone; their feed's text and the blocks."""
    instructor = factories.InstructorFactory(home_time_zone="Europe/Paris")
    course = factories.CourseFactory(title="Évacuation; exits, stairs \\ and more")
    factories.QualificationFactory(instructor=instructor, course=course)
    for zone, blocks in SESSIONS:
        session_create(
            data=SessionInput(
                course=course,
                delivery_mode=DeliveryMode.VILT,
                capacity=10,
                time_zone=zone,
                blocks=[
                    ProposedBlock(local(zone, start), local(zone, end), None, index=i)
                    for i, (start, end) in enumerate(blocks)
                ],
                instructors=[ProposedInstructor(instructor, AssignmentRole.LEAD)],
                host_account=factories.HostAccountFactory(),
                status="scheduled",
            ),
            now=TODAY,
        )
    with time_machine.travel(TODAY, tick=False):
        _token, raw = feed_token_issue(
            actor=instructor.user, kind=FeedKind.INSTRUCTOR, owner_id=instructor.pk, now=TODAY
        )
        text = Client().get(f"/feeds/{raw}.ics").content.decode()
    meant = {}
    for assignment in instructor.assignments.select_related("session"):
        for block in assignment.session.blocks.all():
            meant[block_uid(block.pk, f"a{assignment.pk}")] = (block.starts_at, block.ends_at)
    return text, meant, course


def test_every_client_reads_the_feed_at_the_instants_we_meant(feed):
    text, meant, _course = feed
    assert len(meant) == 5
    read = every_client_reads([text])
    for client, (placed,) in read.items():
        assert placed == meant, client


def test_one_vtimezone_per_zone_used(feed):
    text, _meant, _course = feed
    calendar = icalendar.Calendar.from_ical(text)
    zones = sorted(str(z["TZID"]) for z in calendar.walk("VTIMEZONE"))
    assert zones == sorted(zone for zone, _blocks in SESSIONS)


def test_text_values_are_escaped_and_read_back(feed):
    text, _meant, course = feed
    assert "\\;" in text
    assert "\\," in text
    assert "\\\\" in text
    for event in icalendar.Calendar.from_ical(text).walk("VEVENT"):
        assert str(event["SUMMARY"]) == f"{course.code} {course.title}"


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("a,b;c\\d", "a\\,b\\;c\\\\d"),
        ("two\nlines", "two\\nlines"),
        ("crlf\r\nend", "crlf\\nend"),
    ],
)
def test_escape_text(value, escaped):
    assert escape_text(value) == escaped


def test_fold_never_cuts_a_character_and_keeps_75_octets():
    line = "SUMMARY:" + "é消" * 60
    folded = fold(line)
    assert folded.endswith("\r\n")
    parts = folded[:-2].split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert parts[0] + "".join(part[1:] for part in parts[1:]) == line
    assert fold("SHORT:x") == "SHORT:x\r\n"
