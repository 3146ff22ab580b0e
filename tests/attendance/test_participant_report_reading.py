"""Reading participant reports (pure functions): each format and variant, encodings,
locales' dates, durations, interval arithmetic, and malformed files naming the line."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attendance.participant_reports import (
    ReportError,
    clip_intervals,
    merge_intervals,
    parse_report,
    total_seconds,
)
from attendance.participant_reports.values import parse_duration

REPORTS = Path(__file__).parent / "reports"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
DAY = dt.date(2030, 3, 4)


def utc(clock: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2030-03-04T{clock}+00:00")


def read(name: str, zone: zoneinfo.ZoneInfo = PARIS, day: dt.date = DAY):  # type: ignore[no-untyped-def]
    return parse_report((REPORTS / name).read_bytes(), zone=zone, block_date=day)


def parse_text(text: str, *, encoding: str = "utf-8", day: dt.date = DAY, zone=PARIS):  # type: ignore[no-untyped-def]
    return parse_report(text.encode(encoding), zone=zone, block_date=day)


def test_zoom_participants_report_gives_one_row_per_join_with_names_emails_and_times():
    report = read("zoom_participants.csv")
    assert report.file_format == "zoom"
    assert [r.line for r in report.rows] == [2, 3, 4, 5, 6]
    ada = report.rows[0]
    assert (ada.name, ada.email, ada.guest) == ("Ada Example", "ada@example.com", False)
    # US 12-hour times, local to the session's zone (Paris is UTC+1 in March).
    assert (ada.joined_at, ada.left_at) == (utc("07:58:10"), utc("09:31:00"))
    assert ada.duration_seconds == 93 * 60
    ben = report.rows[2]
    assert (ben.name, ben.original_name) == ("Ben Sample", "Ben S.")
    assert report.rows[3].email == ""
    assert report.rows[3].guest is True


def test_zoom_report_with_the_meeting_summary_above_old_headers_and_a_bom():
    report = read("zoom_summary_bom.csv")
    assert report.file_format == "zoom-summary"
    assert [r.name for r in report.rows] == ["Ada Example", "Ben Sample", "Zoë Müller"]
    # Day-first dates ("04/03/2030"): the only reading that is the block's date.
    assert report.rows[0].joined_at == utc("07:58:00")
    assert report.rows[0].line == 5


def test_teams_legacy_report_in_utf16_with_tabs():
    report = read("teams_legacy_utf16.csv")
    assert report.file_format == "teams"
    assert [r.line for r in report.rows] == [8, 9, 10]
    ada = report.rows[0]
    assert ada.duration_seconds == 3 * 3600 + 6 * 60 + 50
    assert (ada.joined_at, ada.left_at) == (utc("07:58:10"), utc("11:05:00"))
    assert report.rows[2].role == "Organizer"


def test_newer_teams_report_uses_the_in_meeting_activities_one_row_per_join():
    report = read("teams_sections_utf16.csv")
    assert report.file_format == "teams-activities"
    assert [(r.line, r.name) for r in report.rows] == [
        (16, "Ada Example"),
        (17, "Ada Example"),
        (18, "Ben Sample"),
    ]
    assert report.rows[1].joined_at == utc("09:30:00")


def test_newer_teams_report_in_utf8_with_bom_without_activities_uses_the_participants():
    report = read("teams_participants_bom.csv")
    assert report.file_format == "teams-participants"
    ada = report.rows[0]
    assert (ada.joined_at, ada.left_at) == (utc("07:58:10"), utc("11:05:00"))
    assert ada.duration_seconds == 2 * 3600 + 36 * 60 + 50


def test_german_headers_dotted_dates_semicolons_and_german_durations():
    report = read("teams_german.csv")
    assert [r.email for r in report.rows] == ["ada@example.com", "ben@example.com"]
    assert report.rows[0].joined_at == utc("07:58:10")
    assert report.rows[0].duration_seconds == 186 * 60
    assert report.rows[1].duration_seconds == 160 * 60


def test_iso_times_with_an_offset_are_read_as_the_report_says_not_in_the_session_zone():
    report = read("iso_utc.csv", zone=NEW_YORK)
    assert report.rows[0].joined_at == utc("07:58:10")


def test_a_zone_in_the_header_or_a_time_zone_line_overrides_the_session_zone():
    header = parse_text(
        "Name,Email,Join Time (UTC),Leave Time (UTC),Duration\n"
        "Ada,ada@example.com,2030-03-04 08:00,2030-03-04 09:00,60\n"
    )
    assert header.rows[0].joined_at == utc("08:00:00")
    above = parse_text(
        "Time zone,America/New_York\n\nName,Email,Join Time,Leave Time\n"
        "Ada,ada@example.com,2030-03-04 03:00,2030-03-04 04:00\n"
    )
    assert above.rows[0].joined_at == utc("08:00:00")
    assert above.time_zone == "America/New_York"


def test_utf16_without_a_bom_and_windows_1252_are_read():
    text = "Name\tJoin Time\tLeave Time\nZoë\t2030-03-04 09:00\t2030-03-04 10:00\n" * 1
    assert parse_text(text, encoding="utf-16-le").rows[0].name == "Zoë"
    csv_1252 = "Name,Join Time,Leave Time\nJosé,2030-03-04 09:00,2030-03-04 10:00\n"
    assert parse_text(csv_1252, encoding="cp1252").rows[0].name == "José"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("03/04/2030 09:02:11 AM", "08:02:11"),  # US month first, 12-hour
        ("3/4/30, 9:02 PM", "20:02:00"),  # Teams' short US form
        ("04/03/2030 09:02", "08:02:00"),  # day first (block is 4 March)
        ("04.03.2030 09:02:11", "08:02:11"),
        ("2030-03-04 09:02:11", "08:02:11"),
        ("2030-03-04T09:02:11+01:00", "08:02:11"),
        ("Mar 4, 2030 09:02:11 AM", "08:02:11"),
        ("4 Mar 2030 09:02", "08:02:00"),
        ("03/04/2030 12:30:00 AM", None),  # 00:30 local: 23:30 UTC the day before
    ],
)
def test_locales_date_formats(cell, expected):
    report = parse_text(f'Name,Join Time,Leave Time\nAda,"{cell}","{cell}"\n')
    joined = report.rows[0].joined_at
    if expected is None:
        assert joined == dt.datetime(2030, 3, 3, 23, 30, tzinfo=dt.UTC)
    else:
        assert joined == utc(expected)


def test_quoted_cells_with_commas_keep_teams_dates_whole():
    report = parse_text('Name,Join Time,Leave Time\nAda,"3/4/30, 9:02 AM","3/4/30, 10:02 AM"\n')
    assert report.rows[0].left_at == utc("09:02:00")


def test_a_date_order_the_block_cannot_settle_is_refused_with_a_clear_message():
    text = "Name,Join Time,Leave Time\nAda,05/06/2030 09:00,05/06/2030 10:00\n"
    with pytest.raises(ReportError) as refused:
        parse_text(text)
    assert "month first or day first" in refused.value.message
    assert "2030-03-04" in refused.value.message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("65", 3900),
        ("1h 5m 3s", 3903),
        ("65 min", 3900),
        ("2h 40m", 9600),
        ("45s", 45),
        ("1:05:03", 3903),
        ("2 Std. 40 Min.", 9600),
        ("1 h 5 min 3 s", 3903),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_overlapping_and_touching_intervals_merge_and_are_counted_once():
    a = (utc("08:00:00"), utc("09:00:00"))
    b = (utc("08:30:00"), utc("09:30:00"))  # overlaps a (a second device)
    c = (utc("09:30:00"), utc("10:00:00"))  # touches b (a rejoin)
    d = (utc("10:30:00"), utc("10:45:00"))
    assert merge_intervals([d, b, a, c]) == [(utc("08:00:00"), utc("10:00:00")), d]
    assert total_seconds([a, b, c, d]) == 2 * 3600 + 15 * 60


def test_intervals_are_clipped_to_the_block():
    early = (utc("07:50:00"), utc("08:10:00"))
    late = (utc("10:50:00"), utc("11:30:00"))
    outside = (utc("12:00:00"), utc("12:30:00"))
    clipped = clip_intervals([early, late, outside], start=utc("08:00:00"), end=utc("11:00:00"))
    assert clipped == [(utc("08:00:00"), utc("08:10:00")), (utc("10:50:00"), utc("11:00:00"))]


def test_a_malformed_time_names_the_line_and_the_column():
    with pytest.raises(ReportError) as refused:
        read("zoom_malformed.csv")
    assert refused.value.message.startswith("Line 4, column “Join Time”:")
    assert "yesterday morning" in refused.value.message
    assert refused.value.extra == {"line": 4, "column": "Join Time"}


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("Name,Join Time,Leave Time\nAda,2030-03-04 10:00,2030-03-04 09:00\n", "Line 2, column"),
        (
            "Name,Email,Join Time,Leave Time\nAda,not-an-email,2030-03-04 09:00,2030-03-04 10:00\n",
            "Line 2, column “Email”",
        ),
        (
            "Name,Join Time,Leave Time\nAda,2030-03-04 09:00,2030-03-04 10:00\n"
            "Ben,2030-03-04 09:00\n",
            "Line 3:",
        ),
        ("Name,Join Time,Leave Time\nAda,2030-03-04 25:00,2030-03-04 10:00\n", "Line 2, column"),
        ("Name,Duration\nAda,a while\n", "Line 2, column “Duration”"),
        ("Name,Join Time,Leave Time\n", "Line 1: The participants table has no rows."),
        ("Topic,Start Time\nWeekly,2030-03-04\n", "No participants table"),
        ("", "The file is empty."),
    ],
)
def test_malformed_files_are_refused_naming_the_line(text, start):
    with pytest.raises(ReportError) as refused:
        parse_text(text)
    assert refused.value.message.startswith(start), refused.value.message


def test_a_binary_file_is_refused():
    with pytest.raises(ReportError) as refused:
        parse_report(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, zone=PARIS, block_date=DAY)
    assert "not a text (CSV) file" in refused.value.message


def test_zoom_waiting_room_rows_are_read_and_marked():
    report = read("zoom_waiting_room.csv")
    assert [r.waiting_room for r in report.rows] == [True, False, True]


def test_zoom_unique_users_report_has_durations_only():
    report = read("zoom_unique_users.csv")
    assert [(r.name, r.duration_seconds, r.joined_at) for r in report.rows] == [
        ("Ada Example", 175 * 60, None),
        ("Ben Sample", 95 * 60, None),
    ]


def test_a_windows_style_time_zone_line_gives_the_offset():
    report = parse_text(
        "Time zone,(UTC+01:00) Amsterdam; Berlin\n\nName,Join Time,Leave Time\n"
        "Ada,2030-03-04 09:00,2030-03-04 10:00\n",
        zone=NEW_YORK,
    )
    assert report.rows[0].joined_at == utc("08:00:00")


def test_an_unknown_time_zone_line_is_refused():
    with pytest.raises(ReportError) as refused:
        parse_text(
            "Time zone,Atlantis\n\nName,Join Time,Leave Time\n"
            "Ada,2030-03-04 09:00,2030-03-04 10:00\n"
        )
    assert "Atlantis" in refused.value.message


minutes = st.integers(min_value=0, max_value=600)


@given(st.lists(st.tuples(minutes, minutes), max_size=12))
def test_merged_intervals_cover_exactly_the_minutes_of_their_union(pairs):
    base = utc("00:00:00")
    intervals = [
        (base + dt.timedelta(minutes=min(a, b)), base + dt.timedelta(minutes=max(a, b)))
        for a, b in pairs
    ]
    covered = {m for a, b in pairs for m in range(min(a, b), max(a, b))}
    merged = merge_intervals(intervals)
    assert total_seconds(intervals) == len(covered) * 60
    # Disjoint, in order, never touching.
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))


def _read_or_refused(read) -> str:  # type: ignore[no-untyped-def]
    """ "read" when the file was read, else the refusal's message (any other error fails)."""
    try:
        read()
    except ReportError as error:
        return error.message
    return "read"


HEADER_WORDS = st.sampled_from(
    [
        "Name",
        "Email",
        "Join Time",
        "Leave Time",
        "Duration",
        "First Join",
        "Role",
        "Guest",
        "User Action",
        "Timestamp",
        "",
    ]
)
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "03/04/2030 09:00",
            "2030-03-04T09:00Z",
            "31/31/2030 09:00",
            "1h 5m",
            "99999999999",
            "0000-00-00 00:00",
            "12/12/99 13:00 PM",
            "2030-03-04 09:00 UTC+99",
            "9999-12-31 23:59",
            "Joined",
            "Left",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(HEADER_WORDS, min_size=1, max_size=6),
    rows=st.lists(st.lists(CELLS, max_size=7), max_size=4),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
def test_any_table_is_read_or_refused_with_a_report_error(header, rows, delimiter):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    assert _read_or_refused(lambda: parse_text(buffer.getvalue()))


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_a_report_error(data):
    assert _read_or_refused(lambda: parse_report(data, zone=PARIS, block_date=DAY))


def test_teams_first_attendance_list_of_joined_and_left_events_becomes_stays():
    report = read("teams_events_utf16.csv")
    assert report.file_format == "teams-events"
    assert [(r.line, r.name, r.joined_at, r.left_at) for r in report.rows] == [
        (2, "Ada Example", utc("07:58:10"), utc("09:00:00")),
        (3, "Ben Sample", utc("08:20:00"), utc("11:00:00")),
        (5, "Ada Example", utc("09:05:00"), utc("11:01:00")),
    ]


def test_an_unknown_user_action_names_the_line():
    with pytest.raises(ReportError) as refused:
        parse_text("Full Name,User Action,Timestamp\nAda,Waved,2030-03-04 09:00\n")
    assert refused.value.message.startswith("Line 2, column “User Action”")


def test_a_date_at_the_end_of_time_is_refused_not_overflowed():
    with pytest.raises(ReportError) as refused:
        parse_text("Name,Join Time (UTC-05:00),Leave Time\nAda,9999-12-31 23:59,9999-12-31 23:59\n")
    assert "not a plausible date" in refused.value.message
