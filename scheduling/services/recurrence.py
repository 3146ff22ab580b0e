"""Generate repeating blocks in local wall-clock time ("every Tuesday 09:00-12:00 for 6 weeks")."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils.translation import gettext as _

from tms.exceptions import RuleViolation

MAX_OCCURRENCES = 104


def _aware(day: dt.date, clock: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Local wall-clock time on `day`; a time skipped by a spring-forward gap moves forward."""
    local = dt.datetime.combine(day, clock, tzinfo=zone)
    # Round-trip through UTC: a non-existent local time (in the DST gap) normalises forward.
    return local.astimezone(dt.UTC).astimezone(zone)


def weekly_block_times(
    *,
    first_day: dt.date,
    starts: dt.time,
    ends: dt.time,
    occurrences: int,
    time_zone: str,
    every_weeks: int = 1,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Start/end instants of a weekly series, at the same local time in `time_zone` each week.

    09:00 local stays 09:00 local across daylight-saving changes (the UTC instant shifts).
    """
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RuleViolation(
            _("%s is not a known time zone.") % time_zone,
            fields={"time_zone": [_("Unknown zone.")]},
        ) from None
    if not 1 <= occurrences <= MAX_OCCURRENCES:
        raise RuleViolation(
            _("A series has between 1 and %d occurrences.") % MAX_OCCURRENCES,
            fields={"occurrences": [_("Out of range.")]},
        )
    if not 1 <= every_weeks <= 52:
        raise RuleViolation(
            _("Repeat every 1 to 52 weeks."), fields={"every_weeks": [_("Out of range.")]}
        )
    if ends <= starts:
        raise RuleViolation(
            _("A block must end after it starts."), fields={"ends": [_("Before start.")]}
        )
    series = []
    for week in range(occurrences):
        day = first_day + dt.timedelta(weeks=week * every_weeks)
        series.append((_aware(day, starts, zone), _aware(day, ends, zone)))
    return series
