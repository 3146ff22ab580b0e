"""The calendar grid (scheduling/calendar/grid.py): where entries land in a viewer's zone.

No database: entries are plain instants. A row is 5 minutes; row 1 is local midnight.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

from scheduling.calendar.grid import Entry, EntryKind, View, build, stylesheet

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)


def local(day: str, clock: str, zone: zoneinfo.ZoneInfo = BERLIN, fold: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone, fold=fold)


def entry(starts: dt.datetime, ends: dt.datetime, title: str = "Block", **kw) -> Entry:  # type: ignore[no-untyped-def]
    return Entry(starts_at=starts, ends_at=ends, title=title, **kw)


def day_of(layout, date: str):  # type: ignore[no-untyped-def]
    return next(d for d in layout.days if d.date == dt.date.fromisoformat(date))


def rows(hours: float) -> int:
    return round(hours * 12)


def test_a_block_is_drawn_at_its_local_start_and_true_length():
    block = entry(local("2030-03-05", "09:00"), local("2030-03-05", "12:30"))
    week = build(
        View.WEEK, entries=[block], zone="Europe/Berlin", anchor=dt.date(2030, 3, 6), now=NOW
    )

    assert next(d.date.isoformat() for d in week.days) == "2030-03-04"  # Monday
    (piece,) = day_of(week, "2030-03-05").pieces
    assert [(s.at, s.span) for s in piece.segments] == [(rows(9) + 1, rows(3.5))]
    assert piece.time_text == "09:00\N{EN DASH}12:30 CET"
    assert week.rows == rows(24)
    assert week.axis[0].text == "00:00"
    assert week.axis[9].row == rows(9) + 1


def test_a_block_across_midnight_is_split_and_marked_continuing():
    late = entry(local("2030-03-05", "22:00"), local("2030-03-06", "01:30"))
    week = build(
        View.WEEK, entries=[late], zone="Europe/Berlin", anchor=dt.date(2030, 3, 4), now=NOW
    )

    (evening,) = day_of(week, "2030-03-05").pieces
    (night,) = day_of(week, "2030-03-06").pieces
    assert (evening.continues_before, evening.continues_after) == (False, True)
    assert (night.continues_before, night.continues_after) == (True, False)
    assert [(s.at, s.span) for s in evening.segments] == [(rows(22) + 1, rows(2))]
    assert [(s.at, s.span) for s in night.segments] == [(1, rows(1.5))]
    assert "Wed 6 Mar, 01:30" in night.time_text


def test_spring_forward_day_has_23_hours_and_a_block_across_the_gap_keeps_its_length():
    # Berlin, Sun 31 Mar 2030: clocks go forward from 02:00 to 03:00.
    block = entry(local("2030-03-31", "01:00"), local("2030-03-31", "04:00"))  # 2 real hours
    week = build(
        View.WEEK, entries=[block], zone="Europe/Berlin", anchor=dt.date(2030, 3, 31), now=NOW
    )

    sunday = day_of(week, "2030-03-31")
    assert sunday.hours == 23
    assert "forward from 02:00 to 03:00" in sunday.clock_change
    (piece,) = sunday.pieces
    # 01:00-02:00 and 03:00-04:00: the skipped hour is not coloured.
    assert [(s.at, s.span) for s in piece.segments] == [
        (rows(1) + 1, rows(1)),
        (rows(3) + 1, rows(1)),
    ]
    assert sum(s.span for s in piece.segments) == rows(2)
    assert [(m.at, m.span) for m in sunday.missing] == [(rows(2) + 1, rows(1))]
    assert day_of(week, "2030-03-30").missing == []
    assert week.rows == rows(24)


def test_fall_back_week_repeats_the_hour_on_the_axis_and_the_long_day_draws_25_hours():
    # Berlin, Sun 27 Oct 2030: clocks go back from 03:00 to 02:00.
    long_night = entry(local("2030-10-27", "01:00"), local("2030-10-27", "04:00"))  # 4 real hours
    saturday = entry(local("2030-10-26", "01:00"), local("2030-10-26", "04:00"))  # 3 real hours
    week = build(
        View.WEEK,
        entries=[long_night, saturday],
        zone="Europe/Berlin",
        anchor=dt.date(2030, 10, 27),
        now=NOW,
    )

    assert week.rows == rows(25)
    labels = [a.text for a in week.axis]
    assert labels[:5] == ["00:00", "01:00", "02:00 CEST", "02:00 CET", "03:00"]
    sunday = day_of(week, "2030-10-27")
    assert sunday.hours == 25
    assert "back from 03:00 to 02:00" in sunday.clock_change
    (piece,) = sunday.pieces
    assert [(s.at, s.span) for s in piece.segments] == [(rows(1) + 1, rows(4))]
    assert sunday.missing == []
    # Saturday has no second 02:00: its block skips that band and keeps 3 hours of colour.
    (other,) = day_of(week, "2030-10-26").pieces
    assert [(s.at, s.span) for s in other.segments] == [
        (rows(1) + 1, rows(2)),
        (rows(4) + 1, rows(1)),
    ]
    assert [(m.at, m.span) for m in day_of(week, "2030-10-26").missing] == [(rows(3) + 1, rows(1))]


def test_a_viewer_in_new_york_sees_a_paris_session_in_their_time_with_the_venue_time():
    block = entry(
        local("2030-03-04", "09:00", PARIS),
        local("2030-03-04", "12:00", PARIS),
        venue_zone="Europe/Paris",
    )
    week = build(
        View.WEEK, entries=[block], zone="America/New_York", anchor=dt.date(2030, 3, 4), now=NOW
    )

    (piece,) = day_of(week, "2030-03-04").pieces
    assert piece.time_text == "03:00\N{EN DASH}06:00 EST"
    assert piece.venue_text == "09:00\N{EN DASH}12:00 CET at the venue"
    assert piece.segments[0].at == rows(3) + 1
    assert week.zone_label == "America/New_York (EST)"


def test_no_venue_time_when_the_clocks_read_the_same():
    block = entry(
        local("2030-03-04", "09:00", PARIS),
        local("2030-03-04", "12:00", PARIS),
        venue_zone="Europe/Paris",
    )
    week = build(
        View.WEEK, entries=[block], zone="Europe/Berlin", anchor=dt.date(2030, 3, 4), now=NOW
    )
    assert day_of(week, "2030-03-04").pieces[0].venue_text == ""


def test_today_is_marked_in_the_viewers_zone():
    # 02:00 UTC on Tue 5 Mar is still Monday evening in New York.
    now = dt.datetime(2030, 3, 5, 2, 0, tzinfo=dt.UTC)
    week = build(
        View.WEEK, entries=[], zone="America/New_York", anchor=dt.date(2030, 3, 4), now=now
    )
    assert [d.date for d in week.days if d.is_today] == [dt.date(2030, 3, 4)]
    berlin = build(View.WEEK, entries=[], zone="Europe/Berlin", anchor=dt.date(2030, 3, 4), now=now)
    assert [d.date for d in berlin.days if d.is_today] == [dt.date(2030, 3, 5)]


def test_month_lists_entries_per_local_day_of_the_viewer_and_multi_day_entries_on_each_day():
    # 23:30 UTC on 31 Mar is 1 April in Berlin: listed on 1 April, not in March's last day.
    late = entry(
        dt.datetime(2030, 3, 31, 22, 30, tzinfo=dt.UTC),
        dt.datetime(2030, 3, 31, 23, 30, tzinfo=dt.UTC),
        "Late",
    )
    course = entry(local("2030-04-08", "09:00"), local("2030-04-10", "17:00"), "Three days")
    month = build(
        View.MONTH,
        entries=[late, course],
        zone="Europe/Berlin",
        anchor=dt.date(2030, 4, 15),
        now=NOW,
    )

    assert month.first_day == dt.date(2030, 4, 1)
    assert month.last_day == dt.date(2030, 5, 5)
    assert len(month.weeks) == 5
    assert all(len(w) == 7 for w in month.weeks)
    assert [p.entry.title for p in day_of(month, "2030-04-01").pieces] == ["Late"]
    spread = [
        d.date.day for d in month.days if any(p.entry.title == "Three days" for p in d.pieces)
    ]
    assert spread == [8, 9, 10]
    middle = day_of(month, "2030-04-09").pieces[0]
    assert middle.continues_before
    assert middle.continues_after
    ny = build(
        View.MONTH, entries=[late], zone="America/New_York", anchor=dt.date(2030, 3, 1), now=NOW
    )
    assert [p.entry.title for p in day_of(ny, "2030-03-31").pieces] == ["Late"]


def test_agenda_groups_by_the_viewers_local_day_in_time_order():
    a = entry(local("2030-03-05", "14:00"), local("2030-03-05", "15:00"), "Afternoon")
    b = entry(local("2030-03-05", "09:00"), local("2030-03-05", "10:00"), "Morning")
    c = entry(
        dt.datetime(2030, 3, 6, 3, 0, tzinfo=dt.UTC),
        dt.datetime(2030, 3, 6, 4, 0, tzinfo=dt.UTC),
        "Night",
    )
    agenda = build(
        View.AGENDA, entries=[a, b, c], zone="America/New_York", anchor=dt.date(2030, 3, 5), now=NOW
    )

    grouped = [(d.date.isoformat(), [p.entry.title for p in d.pieces]) for d in agenda.busy_days]
    assert grouped == [("2030-03-05", ["Morning", "Afternoon", "Night"])]  # 22:00 EST on the 5th


def test_overlapping_entries_sit_side_by_side():
    one = entry(local("2030-03-05", "09:00"), local("2030-03-05", "12:00"), "One")
    two = entry(local("2030-03-05", "10:00"), local("2030-03-05", "11:00"), "Two")
    three = entry(local("2030-03-05", "13:00"), local("2030-03-05", "14:00"), "Three")
    week = build(
        View.WEEK,
        entries=[one, two, three],
        zone="Europe/Berlin",
        anchor=dt.date(2030, 3, 5),
        now=NOW,
    )
    placed = {p.entry.title: (p.lane, p.lanes) for p in day_of(week, "2030-03-05").pieces}
    assert placed == {"One": (1, 2), "Two": (2, 2), "Three": (1, 1)}


def test_working_hours_are_shading_not_entries():
    hours = entry(
        local("2030-03-05", "08:00"),
        local("2030-03-05", "17:00"),
        "Working hours",
        kind=EntryKind.WORKING_HOURS,
    )
    week = build(
        View.WEEK, entries=[hours], zone="Europe/Berlin", anchor=dt.date(2030, 3, 5), now=NOW
    )
    tuesday = day_of(week, "2030-03-05")
    assert tuesday.pieces == []
    assert [s.entry.title for s in tuesday.shades] == ["Working hours"]
    assert tuesday.shades[0].segments[0].at == rows(8) + 1


def test_navigation_moves_by_a_week_or_a_month():
    week = build(View.WEEK, entries=[], zone="UTC", anchor=dt.date(2030, 3, 6), now=NOW)
    assert (week.previous, week.next) == (dt.date(2030, 2, 25), dt.date(2030, 3, 11))
    month = build(View.MONTH, entries=[], zone="UTC", anchor=dt.date(2030, 12, 15), now=NOW)
    assert (month.previous, month.next) == (dt.date(2030, 11, 1), dt.date(2031, 1, 1))
    assert month.title == "December 2030"


def test_the_static_stylesheet_is_the_generated_one():
    path = Path(__file__).resolve().parents[2] / "static" / "css" / "calendar-grid.css"
    # Regenerate: `print(stylesheet(), end="")` into that file.
    assert path.read_text() == stylesheet()
