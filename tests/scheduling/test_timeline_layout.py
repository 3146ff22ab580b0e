"""The resource timeline's geometry: real-time slots (a clock-change day is shorter or longer),
bars clamped to the window, and a stylesheet that has a class for every grid line used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scheduling.calendar.timeline import window_for
from scheduling.calendar.timeline_css import COLUMN_COUNTS, MARKER, MAX_LINE, grid_rules
from tests.conftest import at

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "timeline.css"


def test_a_week_with_the_spring_change_has_four_fewer_slots_and_bars_keep_true_length():
    window = window_for(dt.date(2030, 3, 25), "week", "Europe/Paris")
    assert window.slots == 7 * 96 - 4
    sunday = window.days[6]
    assert (sunday.ends_at - sunday.starts_at) == dt.timedelta(hours=23)
    # 01:00-04:00 on the change night is two real hours: 8 slots.
    start, end = window.span(at("2030-03-31", "01:00"), at("2030-03-31", "04:00"))
    assert end - start == 8


def test_bars_are_clamped_to_the_window_and_never_empty():
    window = window_for(dt.date(2030, 3, 4), "day", "Europe/Paris")
    assert window.slots == 96
    assert window.span(at("2030-03-03", "22:00"), at("2030-03-04", "01:00")) == (1, 5)
    assert window.span(at("2030-03-04", "23:00"), at("2030-03-05", "03:00")) == (93, 97)
    assert window.span(at("2030-03-04", "10:00"), at("2030-03-04", "10:05")) == (41, 42)


def test_the_stylesheet_holds_the_generated_grid_classes():
    text = CSS.read_text()
    assert text[text.index(MARKER) :] == grid_rules()
    for span in ("day", "week"):
        for first in (dt.date(2030, 3, 25), dt.date(2030, 10, 21), dt.date(2030, 6, 3)):
            slots = window_for(first, span, "Europe/Paris").slots
            assert slots in COLUMN_COUNTS
            assert slots + 1 <= MAX_LINE
    assert window_for(dt.date(2030, 10, 21), "week", "Europe/Paris").slots == 7 * 96 + 4
