"""Cell values of participant reports: dates and times in the shapes meeting tools write in
various locales, and durations ("65", "1h 5m 3s", "65 min", "01:05:03").

Dates are read in two steps, because "03/11/2026" is 3 November in Paris and March 11 in New
York: `scan_moment` splits a cell into its numbers, then `choose_date_order` picks, for the
whole file, the one reading (month first or day first) under which every date is valid,
and when both are, the one that puts the dates on the block's date. A file whose reading
cannot be decided that way is refused (the message names an example value).

Supported: ISO ("2026-03-11 09:02:11", "2026-03-11T09:02:11+01:00", "2026/03/11 09:02"),
numeric dates with "/" or "-" (either order, two- or four-digit years) and with "." (always
day first, as in Germany), English month names ("Mar 11, 2026", "11 Mar 2026"), 24-hour
and 12-hour clocks ("9:02:11 AM", "9:02 p.m."), an optional comma between date and time, and
an optional zone at the end ("Z", "UTC", "GMT", "+01:00", "UTC+1"). A time without a zone is
local time in the zone the caller gives (the report's, by default the session's).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django.utils.translation import gettext as _

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

_TIME = (
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d{1,6})?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?P<zone>Z|UTC|GMT|(?:UTC|GMT)?\s?[+-]\d{1,2}(?::?\d{2})?)?"
)
_SEP = r"(?:\s*,\s*|\s+|T)"
_NUMERIC = re.compile(
    r"^\s*(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})\.?"
    + _SEP
    + _TIME
    + r"\s*$"
)
_NAMED_MDY = re.compile(
    r"^\s*(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})" + _SEP + _TIME + r"\s*$"
)
_NAMED_DMY = re.compile(
    r"^\s*(?P<d>\d{1,2})\.?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})" + _SEP + _TIME + r"\s*$"
)

YMD, MDY, DMY = "ymd", "mdy", "dmy"


class ValueProblem(ValueError):
    """A cell that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Moment:
    """A date and time as written, before the date order is known."""

    text: str
    # The three numbers of the date as written; `order` fixed when the notation decides it
    # (ISO, named months, dotted dates), else None (month or day first: see the file).
    a: int
    b: int
    c: int
    order: str | None
    hour: int
    minute: int
    second: int
    offset: dt.timedelta | None  # the zone written in the cell, if any

    def date_under(self, order: str) -> dt.date | None:
        """The date under a reading, or None when it is not a valid date."""
        if order == YMD:
            year, month, day = self.a, self.b, self.c
        elif order == MDY:
            month, day, year = self.a, self.b, self.c
        else:
            day, month, year = self.a, self.b, self.c
        if year < 100:
            year += 2000
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None


def parse_offset(text: str | None) -> dt.timedelta | None:
    if not text:
        return None
    text = text.strip().upper().replace(" ", "")
    if text in {"Z", "UTC", "GMT"}:
        return dt.timedelta(0)
    text = text.removeprefix("UTC").removeprefix("GMT")
    match = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", text)
    if match is None:
        raise ValueProblem(_("“%(zone)s” is not a time zone offset.") % {"zone": text})
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        raise ValueProblem(_("“%(zone)s” is not a time zone offset.") % {"zone": text})
    return sign * dt.timedelta(hours=hours, minutes=minutes)


def _clock(match: re.Match[str], text: str) -> tuple[int, int, int, dt.timedelta | None]:
    hour, minute = int(match.group("h")), int(match.group("mi"))
    second = int(match.group("s") or 0)
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueProblem(
                _("“%(value)s” has an hour outside 1 to 12 with AM/PM.") % {"value": text}
            )
        pm = ampm.lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueProblem(_("“%(value)s” is not a time of day.") % {"value": text})
    return hour, minute, second, parse_offset(match.group("zone"))


EXPECTED = "e.g. 2026-03-11 09:02:11, 03/11/2026 09:02:11 AM or 11.03.2026 09:02"


def scan_moment(text: str) -> Moment:
    """Split a date-and-time cell into its parts (the date order may be left open)."""
    value = text.strip()
    match = _NUMERIC.match(value)
    if match is not None:
        a, b, c = int(match.group("a")), int(match.group("b")), int(match.group("c"))
        digits_a = len(match.group("a"))
        if digits_a == 4:
            order: str | None = YMD
        elif digits_a == 3 or len(match.group("c")) == 3:
            raise ValueProblem(_("“%(value)s” is not a date and time.") % {"value": value})
        elif match.group("sep") == ".":
            order = DMY
        else:
            order = None
        hour, minute, second, offset = _clock(match, value)
        return Moment(value, a, b, c, order, hour, minute, second, offset)
    for pattern, order in ((_NAMED_MDY, MDY), (_NAMED_DMY, DMY)):
        match = pattern.match(value)
        if match is None:
            continue
        month = MONTHS.get(match.group("mon").lower())
        if month is None:
            break
        day, year = int(match.group("d")), int(match.group("y"))
        hour, minute, second, offset = _clock(match, value)
        if order == MDY:
            return Moment(value, month, day, year, MDY, hour, minute, second, offset)
        return Moment(value, day, month, year, DMY, hour, minute, second, offset)
    raise ValueProblem(
        _("“%(value)s” is not a date and time (%(expected)s).")
        % {"value": value, "expected": EXPECTED}
    )


class DateOrderUnclear(ValueError):
    """Neither month-first nor day-first can be chosen for the file's dates."""


def choose_date_order(moments: list[Moment], *, near: dt.date) -> dict[str | None, str]:
    """The reading of the file's open dates: {None: "mdy" | "dmy"} plus the fixed ones.

    Month first or day first is chosen once for the whole file: the reading under which every
    date is valid; if both are valid and they differ, the one whose dates fall within a day of
    `near` (the block's local date). Raises DateOrderUnclear otherwise."""
    open_moments = [m for m in moments if m.order is None]
    readings: dict[str | None, str] = {}
    if open_moments:
        possible = [
            order
            for order in (MDY, DMY)
            if all(m.date_under(order) is not None for m in open_moments)
        ]
        if not possible:
            sample = next(m for m in open_moments if m.date_under(MDY) is None).text
            raise DateOrderUnclear(
                _("“%(value)s” is not a valid date, read month first or day first.")
                % {"value": sample}
            )
        if len(possible) == 2 and any(m.a != m.b for m in open_moments):

            def near_block(order: str) -> bool:
                return all(
                    abs((m.date_under(order) - near).days) <= 1  # type: ignore[operator]
                    for m in open_moments
                )

            fitting = [order for order in possible if near_block(order)]
            if len(fitting) != 1:
                sample = next(m for m in open_moments if m.a != m.b).text
                raise DateOrderUnclear(
                    _(
                        "The dates in this report, such as “%(value)s”, can be read month "
                        "first or day first, and neither reading puts them on the block's "
                        "date (%(date)s). Check that the report is this block's, or export "
                        "it with ISO dates (2026-03-11 09:02)."
                    )
                    % {"value": sample, "date": near.isoformat()}
                )
            possible = fitting
        readings[None] = possible[0]
    return readings


def moment_instant(moment: Moment, order: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant of a scanned moment (UTC), read as `order`, local to `zone` unless the cell
    gave its own offset. A repeated local time (clocks going back) is its first occurrence."""
    date = moment.date_under(moment.order or order)
    if date is None:
        raise ValueProblem(_("“%(value)s” is not a valid date.") % {"value": moment.text})
    if not 1900 <= date.year <= 2999:  # keeps the arithmetic far from year 1 and 9999
        raise ValueProblem(_("“%(value)s” is not a plausible date.") % {"value": moment.text})
    wall = dt.datetime.combine(date, dt.time(moment.hour, moment.minute, moment.second))
    if moment.offset is not None:
        return (wall - moment.offset).replace(tzinfo=dt.UTC)
    return wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


_DURATION_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([A-Za-zÀ-ÿ.]+)")


def parse_duration(text: str, *, bare_unit: int = 60) -> int:
    """Seconds in a duration cell: a bare number is in `bare_unit` seconds (minutes for
    "Duration (Minutes)"); "1h 5m 3s", "65 min", "1 Std. 5 Min.", "2 h 3 min 4 s" by unit;
    "1:05:03" or "65:03" as clock durations."""
    value = text.strip()
    if not value:
        raise ValueProblem(_("The duration is empty."))
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
        return round(float(value.replace(",", ".")) * bare_unit)
    clock = re.fullmatch(r"(\d+):(\d{2})(?::(\d{2}))?", value)
    if clock is not None:
        first, second, third = clock.groups()
        if third is None:  # mm:ss
            return int(first) * 60 + int(second)
        return int(first) * 3600 + int(second) * 60 + int(third)
    parts = _DURATION_PART.findall(value)
    rest = _DURATION_PART.sub("", value).strip(" ,")
    if not parts or rest:
        raise ValueProblem(
            _("“%(value)s” is not a duration (e.g. 65, 1h 5m 3s or 65 min).") % {"value": value}
        )
    seconds = 0.0
    for number, unit in parts:
        name = unit.lower().rstrip(".")
        if name.startswith(("h", "std", "stu", "u")):  # h, hr, hours, heure(s), Std., uur
            factor = 3600
        elif name.startswith("m"):  # m, min, minutes, Min., Minuten
            factor = 60
        elif name.startswith("s"):  # s, sec, sek, seg, seconds
            factor = 1
        else:
            raise ValueProblem(
                _("“%(value)s” is not a duration (unknown unit “%(unit)s”).")
                % {"value": value, "unit": unit}
            )
        seconds += float(number.replace(",", ".")) * factor
    return round(seconds)
