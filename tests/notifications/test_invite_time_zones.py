"""Calendar clients place every invited block at the instant we meant, in any zone.

Each invite is read by icalendar, vobject and Mozilla's ical.js (tests/calendar_clients.py);
each VEVENT's start and end must be the UTC instants of the block, for zones north and south
of the equator, with half-hour and 45-minute offsets, 30-minute and negative daylight saving
time, on and around every clock change, inside the hour repeated when clocks go back, long
ago and as late as the API accepts (until the end of 2999).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
from dateutil import rrule

from notifications.ical import InviteEvent, invite
from notifications.vtimezone import vtimezone
from tests.calendar_clients import every_client_reads, every_client_shows

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
LAST_ACCEPTED = dt.datetime(3000, 1, 1, tzinfo=UTC)  # tms.api.LATEST: the API takes instants before

ZONES = [
    "America/New_York",
    "Europe/Paris",
    "Europe/London",
    "Europe/Dublin",  # negative DST: tzdata's "daylight saving" is the winter
    "America/St_Johns",  # -03:30 / -02:30
    "Asia/Kolkata",  # +05:30, no DST
    "Asia/Kathmandu",  # +05:45, no DST
    "Australia/Sydney",  # southern: summer time from October to April
    "America/Sao_Paulo",  # southern, no DST since 2019
    "Pacific/Auckland",
    "Australia/Lord_Howe",  # +10:30 with 30-minute DST
    "Pacific/Chatham",  # +12:45 / +13:45
]
# Rules whose change day needs more than "the n-th weekday of the month".
ODD_RULES = [
    "America/Nuuk",  # the Saturday before the last Sunday of March, at 23:00
    "Asia/Jerusalem",  # the Friday after the fourth Thursday of March
    "America/Santiago",  # 24:00 on the first Saturday
    "Africa/Cairo",  # 24:00 on the last Thursday of October: sometimes 1 November
]
YEARS = [2026, 2038, 2045, 2099, 2999]
HISTORY = [1900, 1916, 1947, 1975, 2010, 2019]


def clock_changes(
    zone: zoneinfo.ZoneInfo, year: int, step: dt.timedelta = dt.timedelta(hours=6)
) -> list[dt.datetime]:
    """The instants in `year` at which the zone's UTC offset changes, found by probing every
    `step` (two changes within one step would go unseen)."""

    def offset(moment: dt.datetime) -> dt.timedelta | None:
        return moment.astimezone(zone).utcoffset()

    moment = dt.datetime(year, 1, 1, tzinfo=UTC)
    end = min(dt.datetime(year + 1, 1, 1, tzinfo=UTC), LAST_ACCEPTED - dt.timedelta(hours=3))
    changes = []
    while moment < end:
        later = min(moment + step, end)
        if offset(moment) != offset(later):
            low, high = moment, later  # the change is after low, at or before high
            while high - low > dt.timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                low, high = (middle, high) if offset(middle) == offset(low) else (low, middle)
            changes.append(high)
        moment = later
    return changes


def blocks_for(name: str, year: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """Blocks at 09:00 in January and July, and blocks starting and ending on each side of
    every clock change of the year, in and right after a repeated hour."""
    zone = zoneinfo.ZoneInfo(name)
    blocks = []
    for month in (1, 7):
        start = dt.datetime(year, month, 15, 9, 0, tzinfo=zone).astimezone(UTC)
        blocks.append((start, start + dt.timedelta(hours=3)))
    for change in clock_changes(zone, year):
        for minutes in (-75, -45, -20, -1, 0, 20, 45, 75):
            moment = change + dt.timedelta(minutes=minutes)
            if moment + dt.timedelta(minutes=40) < LAST_ACCEPTED:
                blocks.append((moment, moment + dt.timedelta(minutes=40)))
                blocks.append((moment - dt.timedelta(minutes=40), moment))
    return blocks


def an_invite(name: str, blocks: list[tuple[dt.datetime, dt.datetime]]) -> str:
    events = [
        InviteEvent(uid=f"block-{i}@test", starts_at=start, ends_at=end, summary="Block")
        for i, (start, end) in enumerate(blocks)
    ]
    return invite(
        method="REQUEST",
        events=events,
        sequence=0,
        time_zone=name,
        attendee_email="learner@example.org",
        now=NOW,
    )


def meant(blocks: list[tuple[dt.datetime, dt.datetime]]) -> dict[str, tuple[dt.datetime, ...]]:
    return {f"block-{i}@test": (start, end) for i, (start, end) in enumerate(blocks)}


def assert_every_client_agrees(cases: list[tuple[str, str, list]]) -> None:
    """cases: (label, invite text, blocks). Lists every misread block of every client."""
    read = every_client_reads([text for _label, text, _blocks in cases])
    wrong = []
    for client, results in read.items():
        for (label, _text, blocks), placed in zip(cases, results, strict=True):
            for uid, (start, end) in meant(blocks).items():
                got = placed.get(uid)
                if got != (start, end):
                    wrong.append(f"{client} {label} {uid}: meant {start}..{end}, read {got}")
    assert not wrong, f"{len(wrong)} misread:\n" + "\n".join(wrong[:40])


@pytest.mark.parametrize("name", ZONES + ODD_RULES)
def test_every_client_reads_invites_at_the_meant_instants_up_to_2999(name):
    cases = []
    for year in YEARS:
        blocks = blocks_for(name, year)
        cases.append((f"{name} {year}", an_invite(name, blocks), blocks))
    assert_every_client_agrees(cases)


@pytest.mark.parametrize("name", ZONES)
def test_every_client_reads_invites_for_past_years_the_api_accepts(name):
    cases = []
    for year in HISTORY:
        blocks = blocks_for(name, year)
        cases.append((f"{name} {year}", an_invite(name, blocks), blocks))
    assert_every_client_agrees(cases)


@pytest.mark.parametrize("name", ["America/New_York", "Australia/Lord_Howe", "Africa/Cairo"])
def test_one_invite_spanning_centuries_is_read_right_throughout(name):
    blocks = [block for year in (1975, 2026, 2040, 2999) for block in blocks_for(name, year)]
    assert_every_client_agrees([(name, an_invite(name, blocks), blocks)])


@pytest.mark.parametrize("name", ZONES + ODD_RULES)
def test_every_client_shows_utc_times_at_the_zones_wall_time_around_each_clock_change(name):
    # A client shows an event sent in UTC (as in a repeated hour) in the invite's zone by the
    # VTIMEZONE: its changes must happen at the right instants, each DTSTART being the wall
    # time before the change (RFC 5545), or times in the hour after a change come out wrong.
    zone = zoneinfo.ZoneInfo(name)
    wrong = []
    for year in (1975, 2026, 2045, 2999):
        blocks = blocks_for(name, year)
        instants = sorted({moment for block in blocks for moment in block})
        expected = [moment.astimezone(zone).replace(tzinfo=None) for moment in instants]
        shown = every_client_shows(an_invite(name, blocks), name, instants)
        for client, walls in shown.items():
            wrong += [
                f"{client} {moment}: meant {meant_wall}, shown {wall}"
                for moment, meant_wall, wall in zip(instants, expected, walls, strict=True)
                if wall != meant_wall
            ]
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong[:40])


def test_times_in_a_repeated_hour_are_written_in_utc_and_others_in_the_zone():
    # 01:30 on 1 November 2026 happens twice in New York: at 05:30 and at 06:30 UTC. A TZID
    # time there means the first by RFC 5545, but ical.js reads the second (standard time).
    first = dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    second = dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    before = dt.datetime(2026, 11, 1, 4, 50, tzinfo=UTC)  # 00:50 EDT, once only
    blocks = [(before, first), (second, second + dt.timedelta(minutes=40))]
    text = an_invite("America/New_York", blocks)
    assert "DTSTART;TZID=America/New_York:20261101T005000" in text
    assert "DTEND:20261101T053000Z" in text
    assert "DTSTART:20261101T063000Z" in text
    assert "DTEND;TZID=America/New_York:20261101T021000" in text
    assert_every_client_agrees([("New York fall back", text, blocks)])


def test_an_invite_carries_one_small_time_zone_definition():
    blocks = [(dt.datetime(2999, 6, 1, 9, tzinfo=UTC), dt.datetime(2999, 6, 1, 12, tzinfo=UTC))]
    text = an_invite("Europe/Paris", [*blocks_for("Europe/Paris", 2026), *blocks])
    assert text.count("BEGIN:VTIMEZONE") == 1
    assert text.count("BEGIN:STANDARD") + text.count("BEGIN:DAYLIGHT") <= 4
    assert "RDATE" not in text


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Asia/Kolkata", {("STANDARD", "+0530")}),
        ("Asia/Kathmandu", {("STANDARD", "+0545")}),
        ("America/Sao_Paulo", {("STANDARD", "-0300")}),
        # tzdata calls Irish winter time "daylight saving" (negative save); clients expect the
        # summer to be the DAYLIGHT part, as everywhere else.
        ("Europe/Dublin", {("STANDARD", "+0000"), ("DAYLIGHT", "+0100")}),
        ("Australia/Lord_Howe", {("STANDARD", "+1030"), ("DAYLIGHT", "+1100")}),
    ],
)
def test_the_time_zone_definition_names_standard_and_daylight_time_as_clocks_show(name, parts):
    blocks = [(dt.datetime(2026, 6, 1, 9, tzinfo=UTC), dt.datetime(2026, 6, 1, 12, tzinfo=UTC))]
    calendar = icalendar.Calendar.from_ical(an_invite(name, blocks))
    (definition,) = calendar.walk("VTIMEZONE")
    found = {(part.name, part["TZOFFSETTO"].to_ical()) for part in definition.subcomponents}
    assert found == parts


def onsets_in(definition: icalendar.Timezone, year: int) -> set[tuple[dt.datetime, int, int]]:
    """(instant, offset before, offset after) of every onset the definition makes in `year`,
    each DTSTART or RRULE date read as RFC 5545 says: wall time before, in TZOFFSETFROM."""
    found = set()
    for part in definition.subcomponents:
        start = part["DTSTART"].dt
        before = part["TZOFFSETFROM"].td
        after = part["TZOFFSETTO"].td
        if "RRULE" in part:
            # dateutil counts DTSTART only where it fits the rule: starting the rule late
            # only saves walking through the centuries. A day either side: wall times and
            # UTC years part at New Year.
            later = start.replace(year=max(start.year, year - 1), month=1, day=1)
            rule = rrule.rrulestr(part["RRULE"].to_ical().decode(), dtstart=later)
            first = dt.datetime(year - 1, 12, 31)  # noqa: DTZ001 - naive wall times
            last = dt.datetime(year + 1, 1, 2)  # noqa: DTZ001
            walls = [wall for wall in rule.between(first, last, inc=True) if wall >= start]
        else:
            walls = [start]
        for wall in walls:
            instant = (wall - before).replace(tzinfo=UTC)
            if instant.year == year:
                found.add((instant, int(before.total_seconds()), int(after.total_seconds())))
    return found


def test_every_zone_changes_its_clocks_at_the_right_instants_in_the_definition():
    wrong = []
    for name in sorted(zoneinfo.available_timezones()):
        zone = zoneinfo.ZoneInfo(name)
        for year in (2026, 2999):
            span = dt.datetime(year, 1, 1, tzinfo=UTC), dt.datetime(year, 12, 31, tzinfo=UTC)
            definition = vtimezone(name, start=span[0], end=span[1])
            meant = {
                (
                    change,
                    int(
                        (change - dt.timedelta(seconds=1))
                        .astimezone(zone)
                        .utcoffset()
                        .total_seconds()
                    ),
                    int(change.astimezone(zone).utcoffset().total_seconds()),
                )
                for change in clock_changes(zone, year, step=dt.timedelta(days=3))
            }
            if onsets_in(definition, year) != meant:
                wrong.append(
                    f"{name} {year}: {sorted(onsets_in(definition, year))} != {sorted(meant)}"
                )
    assert not wrong, "\n".join(wrong[:20])
