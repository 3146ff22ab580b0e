import datetime as dt
import zoneinfo

import pytest

from scheduling.services import weekly_block_times
from tests.conftest import NOW
from tms.exceptions import RuleViolation

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_weekly_series_stays_at_nine_local_across_the_spring_clock_change():
    # Europe/Paris moves from UTC+1 to UTC+2 on Sunday 2030-03-31.
    series = weekly_block_times(
        first_day=dt.date(2030, 3, 19),
        starts=dt.time(9),
        ends=dt.time(12),
        occurrences=6,
        time_zone="Europe/Paris",
    )
    assert len(series) == 6
    assert [start.astimezone(PARIS).strftime("%a %H:%M") for start, _ in series] == [
        "Tue 09:00"
    ] * 6
    assert [end.astimezone(PARIS).hour for _, end in series] == [12] * 6
    utc_hours = [start.astimezone(dt.UTC).hour for start, _ in series]
    assert utc_hours == [8, 8, 7, 7, 7, 7]


def test_weekly_series_stays_at_nine_local_across_the_autumn_clock_change():
    series = weekly_block_times(
        first_day=dt.date(2030, 10, 15),
        starts=dt.time(9),
        ends=dt.time(12),
        occurrences=3,
        time_zone="America/New_York",
        every_weeks=2,
    )
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert [s.astimezone(new_york).strftime("%Y-%m-%d %H:%M") for s, _ in series] == [
        "2030-10-15 09:00",
        "2030-10-29 09:00",
        "2030-11-12 09:00",
    ]
    assert [s.astimezone(dt.UTC).hour for s, _ in series] == [13, 13, 14]


@pytest.mark.parametrize(
    ("zone", "first_day", "starts", "ends", "field", "message"),
    [
        (
            "Europe/Paris",
            dt.date(2030, 3, 24),
            dt.time(2, 30),
            dt.time(4),
            "starts",
            "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "America/New_York",
            dt.date(2030, 3, 3),
            dt.time(1),
            dt.time(2, 15),
            "ends",
            "02:15 does not exist on Sun 10 Mar 2030 in America/New_York: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "Australia/Sydney",
            dt.date(2030, 10, 6),
            dt.time(2),
            dt.time(4),
            "starts",
            "02:00 does not exist on Sun 6 Oct 2030 in Australia/Sydney: "
            "clocks go forward from 02:00 to 03:00.",
        ),
        (
            "Australia/Lord_Howe",
            dt.date(2030, 9, 29),
            dt.time(2, 15),
            dt.time(4),
            "starts",
            "02:15 does not exist on Sun 6 Oct 2030 in Australia/Lord_Howe: "
            "clocks go forward from 02:00 to 02:30.",
        ),
    ],
)
def test_a_series_meeting_a_time_the_clocks_skip_is_refused_naming_the_change(
    zone, first_day, starts, ends, field, message
):
    # Moving the time forward would shrink the block (or end it before it starts) without a
    # word: the series is refused instead, naming the occurrence's day and the change.
    with pytest.raises(RuleViolation) as refused:
        weekly_block_times(
            first_day=first_day, starts=starts, ends=ends, occurrences=3, time_zone=zone
        )
    assert refused.value.message == message
    assert refused.value.fields == {field: [message]}


def test_a_series_over_the_autumn_change_takes_the_first_of_a_repeated_time():
    new_york = zoneinfo.ZoneInfo("America/New_York")
    series = weekly_block_times(
        first_day=dt.date(2030, 10, 27),
        starts=dt.time(1, 30),
        ends=dt.time(1, 45),
        occurrences=2,
        time_zone="America/New_York",
    )
    start, end = series[1]
    assert start == dt.datetime(2030, 11, 3, 5, 30, tzinfo=dt.UTC)
    assert start.astimezone(new_york).tzname() == "EDT"
    assert end - start == dt.timedelta(minutes=15)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"occurrences": 0}, "occurrences"),
        ({"occurrences": 500}, "occurrences"),
        ({"ends": dt.time(8)}, "ends"),
    ],
)
def test_bad_series_input_is_refused_with_the_field_named(kwargs, field):
    arguments = {
        "first_day": dt.date(2030, 3, 19),
        "starts": dt.time(9),
        "ends": dt.time(12),
        "occurrences": 6,
        "time_zone": "Europe/Paris",
        **kwargs,
    }
    with pytest.raises(RuleViolation) as refused:
        weekly_block_times(**arguments)
    assert field in refused.value.fields


@pytest.mark.django_db
def test_a_repeating_session_keeps_nine_local_in_its_bookings(schedule):
    series = weekly_block_times(
        first_day=dt.date(2030, 3, 19),
        starts=dt.time(9),
        ends=dt.time(12),
        occurrences=6,
        time_zone="Europe/Paris",
    )
    session = schedule(series, now=NOW)
    local_starts = [
        b.during.lower.astimezone(PARIS).strftime("%H:%M") for b in session.room_bookings.all()
    ]
    assert local_starts == ["09:00"] * 6
