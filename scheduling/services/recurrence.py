"""Generate repeating blocks in local wall-clock time ("every Tuesday 09:00-12:00 for 6 weeks")."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils.translation import gettext as _

from tms.exceptions import RuleViolation
from tms.timezones import local_instant

MAX_OCCURRENCES = 104


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
    Local times become instants by the one rule of `tms.timezones.local_instant`: a series
    meeting a time the clocks skip is refused (field "starts" or "ends", naming the day and the
    change); a repeated time is its first occurrence.
    """
    try:
        zoneinfo.ZoneInfo(time_zone)
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
        series.append(
            (
                local_instant(day, starts, time_zone, field="starts"),
                local_instant(day, ends, time_zone, field="ends"),
            )
        )
    return series
