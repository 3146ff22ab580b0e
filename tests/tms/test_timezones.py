"""The one rule for local times and clock changes, and whose zone a person reads times in."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests import factories
from tms.models import Profile
from tms.timezones import (
    NonexistentLocalTime,
    local_instant,
    local_label,
    reader_span,
    reader_zone,
    repeated_time,
)

UTC = dt.UTC


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "clock", "change"),
    [
        ("Europe/Paris", dt.date(2030, 3, 31), dt.time(2), "forward from 02:00 to 03:00"),
        ("Europe/Paris", dt.date(2030, 3, 31), dt.time(2, 59), "forward from 02:00 to 03:00"),
        ("America/New_York", dt.date(2030, 3, 10), dt.time(2, 30), "forward from 02:00 to 03:00"),
        ("Australia/Sydney", dt.date(2030, 10, 6), dt.time(2, 30), "forward from 02:00 to 03:00"),
        ("Australia/Lord_Howe", dt.date(2030, 10, 6), dt.time(2), "forward from 02:00 to 02:30"),
        (
            "Australia/Lord_Howe",
            dt.date(2030, 10, 6),
            dt.time(2, 29),
            "forward from 02:00 to 02:30",
        ),
    ],
)
def test_a_time_the_clocks_skip_is_refused_naming_the_change(zone, day, clock, change):
    with pytest.raises(NonexistentLocalTime) as refused:
        local_instant(day, clock, zone, field="starts")
    assert f"clocks go {change}." in refused.value.message
    assert refused.value.fields == {"starts": [refused.value.message]}


@pytest.mark.parametrize(
    ("zone", "day", "clock", "instant"),
    [
        # The first minute after each gap, and ordinary times, are what they say.
        ("Europe/Paris", dt.date(2030, 3, 31), dt.time(3), "2030-03-31T01:00"),
        ("Europe/Paris", dt.date(2030, 3, 31), dt.time(1, 59), "2030-03-31T00:59"),
        ("Australia/Lord_Howe", dt.date(2030, 10, 6), dt.time(2, 30), "2030-10-05T15:30"),
        # Repeated times are their first occurrence (the earlier offset).
        ("America/New_York", dt.date(2030, 11, 3), dt.time(1, 30), "2030-11-03T05:30"),
        ("Europe/Paris", dt.date(2030, 10, 27), dt.time(2, 30), "2030-10-27T00:30"),
        ("Australia/Sydney", dt.date(2030, 4, 7), dt.time(2, 30), "2030-04-06T15:30"),
        ("Australia/Lord_Howe", dt.date(2030, 4, 7), dt.time(1, 45), "2030-04-06T14:45"),
    ],
)
def test_existing_and_repeated_times_become_one_instant(zone, day, clock, instant):
    assert local_instant(day, clock, zone) == _utc(instant)


def test_instants_across_the_autumn_change_subtract_as_real_time():
    start = local_instant(dt.date(2030, 11, 3), dt.time(1, 30), "America/New_York")
    end = local_instant(dt.date(2030, 11, 3), dt.time(3), "America/New_York")
    # 01:30 EDT to 03:00 EST is two and a half hours, not the hour and a half on the clock.
    assert end - start == dt.timedelta(hours=2, minutes=30)


def test_a_repeated_time_says_which_occurrence_an_instant_is():
    first = repeated_time(_utc("2030-11-03T05:30"), "America/New_York")
    second = repeated_time(_utc("2030-11-03T06:30"), "America/New_York")
    assert first is not None
    assert second is not None
    assert first[0].describe() == "clocks go back from 02:00 to 01:00"
    assert (first[1].fold, second[1].fold) == (0, 1)
    assert repeated_time(_utc("2030-11-03T08:30"), "America/New_York") is None
    lord_howe = repeated_time(_utc("2030-04-06T14:45"), "Australia/Lord_Howe")
    assert lord_howe is not None
    assert lord_howe[0].describe() == "clocks go back from 02:00 to 01:30"


def test_zones_without_letters_are_named_by_their_offset():
    moment = _utc("2030-01-10T00:00")
    assert local_label(moment.astimezone(zoneinfo.ZoneInfo("Australia/Lord_Howe"))) == "UTC+11:00"
    assert local_label(moment.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))) == "CET"


def test_a_span_reads_once_where_the_clocks_agree_and_twice_where_they_differ():
    starts, ends = _utc("2030-03-04T08:00"), _utc("2030-03-04T11:00")
    assert reader_span(starts, ends, reader="Europe/Berlin", venue="Europe/Paris").venue is None

    span = reader_span(starts, ends, reader="America/New_York", venue="Europe/Paris")
    assert span.reader.text() == "Mon 4 Mar 2030, 03:00\N{EN DASH}06:00 EST"
    assert span.venue_text() == "09:00\N{EN DASH}12:00 CET"

    late = reader_span(
        _utc("2030-03-04T22:00"), _utc("2030-03-05T01:00"), reader="UTC", venue="Asia/Tokyo"
    )
    assert late.reader.text() == "Mon 4 Mar 2030, 22:00 \N{EN DASH} Tue 5 Mar, 01:00 UTC"
    assert late.venue_text() == "Tue 5 Mar, 07:00\N{EN DASH}10:00 JST"


@pytest.mark.django_db
def test_the_reader_zone_is_settings_then_home_zone_then_browser_then_the_venue():
    learner = factories.UserFactory()
    assert reader_zone(learner, "Europe/Paris") == "Europe/Paris"
    assert reader_zone(learner, "Europe/Paris", browser_zone="Asia/Tokyo") == "Asia/Tokyo"
    assert reader_zone(learner, "Europe/Paris", browser_zone="Not/AZone") == "Europe/Paris"
    assert reader_zone(None, "Europe/Paris") == "Europe/Paris"

    person = factories.InstructorFactory(home_time_zone="America/Chicago")
    assert reader_zone(person.user, "Europe/Paris", browser_zone="Asia/Tokyo") == (
        "America/Chicago"
    )
    Profile.objects.create(user=person.user, time_zone="Australia/Sydney")
    person.user.refresh_from_db()
    assert reader_zone(person.user, "Europe/Paris") == "Australia/Sydney"
