"""Read iCalendar text the way three real calendar clients do: icalendar (Python), vobject
(which reads VTIMEZONEs with dateutil) and Mozilla's ical.js 2 (Thunderbird's parser, run with
Node from tests/clients/, installed there by `npm ci --prefix tests/clients`). They say at
which UTC instants each client places every VEVENT, and which wall time the Python ones give
an instant in a VTIMEZONE."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import icalendar
import pytest
import vobject
import vobject.icalendar

CLIENTS = Path(__file__).parent / "clients"
_names = itertools.count()
ICALJS_SCRIPT = CLIENTS / "read_events.mjs"

# uid -> (start, end), both aware datetimes in UTC
Placed = dict[str, tuple[dt.datetime, dt.datetime]]


def icalendar_reads(text: str) -> Placed:
    calendar = icalendar.Calendar.from_ical(text)
    return {
        str(event["UID"]): (_utc(event["DTSTART"].dt), _utc(event["DTEND"].dt))
        for event in calendar.walk("VEVENT")
    }


def vobject_reads(text: str) -> Placed:
    # vobject keeps the first VTIMEZONE it sees for a TZID for the rest of the process; a
    # mail client reading this invite alone would not have seen ours before.
    registry = vars(vobject.icalendar)["__tzidMap"]
    for zone in icalendar.Calendar.from_ical(text).walk("VTIMEZONE"):
        registry.pop(str(zone["TZID"]), None)
    calendar = vobject.readOne(text)
    return {
        event.uid.value: (_utc(event.dtstart.value), _utc(event.dtend.value))
        for event in calendar.vevent_list
    }


def icaljs_reads(texts: Sequence[str]) -> list[Placed]:
    """All texts in one Node process; skips the test where Node or ical.js is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: cannot check invites with Mozilla's ical.js")
    if not (CLIENTS / "node_modules" / "ical.js").is_dir():
        pytest.skip("ical.js is not installed: run `npm ci --prefix tests/clients`")
    finished = subprocess.run(  # noqa: S603 - our own script with the machine's node
        [node, str(ICALJS_SCRIPT)],
        input=json.dumps(list(texts)),
        capture_output=True,
        text=True,
        cwd=CLIENTS,
        timeout=300,
        check=True,
    )
    results = []
    for outcome in json.loads(finished.stdout):
        if "error" in outcome:
            raise AssertionError(f"ical.js could not read an invite: {outcome['error']}")
        results.append(
            {
                event["uid"]: (_from_unix(event["start"]), _from_unix(event["end"]))
                for event in outcome["events"]
            }
        )
    return results


def vobject_shows(text: str, zone: str, instants: Sequence[dt.datetime]) -> list[dt.datetime]:
    """The wall times (naive) at which vobject (dateutil) shows `instants` in the VTIMEZONE."""
    definition = next(z for z in vobject.readOne(text).vtimezone_list if z.tzid.value == zone)
    tzinfo = definition.gettzinfo()
    return [moment.astimezone(tzinfo).replace(tzinfo=None) for moment in instants]


def icalendar_shows(text: str, zone: str, instants: Sequence[dt.datetime]) -> list[dt.datetime]:
    """The wall times (naive) at which icalendar shows `instants` in the VTIMEZONE.

    icalendar takes a TZID that names an IANA zone from zoneinfo and ignores the definition:
    under a name of our own it must build the zone from the definition (Timezone.to_tz). The
    name is new each time, as icalendar keeps the zone it built for a name for the process.
    """
    unknown = f"Not-IANA-{next(_names)}/{zone}"
    calendar = icalendar.Calendar.from_ical(text.replace(f"TZID:{zone}\r\n", f"TZID:{unknown}\r\n"))
    definition = next(z for z in calendar.walk("VTIMEZONE") if str(z["TZID"]) == unknown)
    tzinfo = definition.to_tz()
    return [moment.astimezone(tzinfo).replace(tzinfo=None) for moment in instants]


def every_client_reads(texts: Sequence[str]) -> dict[str, list[Placed]]:
    """For each client's name, what it read from each text, in order. (icalendar takes a TZID
    that names an IANA zone from zoneinfo, as it would in a real client.)"""
    return {
        "icalendar": [icalendar_reads(text) for text in texts],
        "vobject": [vobject_reads(text) for text in texts],
        "ical.js": icaljs_reads(texts),
    }


def every_client_shows(
    text: str, zone: str, instants: Sequence[dt.datetime]
) -> dict[str, list[dt.datetime]]:
    """For each Python client's name, the wall times it gives `instants` in the text's
    VTIMEZONE `zone`: how it shows a time sent in UTC in the zone the VTIMEZONE describes.

    ical.js is left out: its Time.convertToZone looks the offset up with the UTC time as if it
    were a wall time (Timezone.convert_time), so it is off in the hours before or after a
    change whatever the VTIMEZONE says; it is checked reading wall times instead.
    """
    return {
        "icalendar": icalendar_shows(text, zone, instants),
        "vobject": vobject_shows(text, zone, instants),
    }


def _utc(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise AssertionError(f"expected a date-time with a zone, got {value!r}")
    return value.astimezone(dt.UTC)


def _from_unix(seconds: float) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
