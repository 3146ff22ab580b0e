"""A session's zone and its venue, and local times that a clock change makes ambiguous.

- A new session's zone defaults to the zone of its first room's site (`first_room_site`);
  sessions without a room (video calls) keep the caller's default.
- A zone other than a room's site zone is allowed but warned about (`warn_zone_differs`): the
  coordinator may have meant the venue's wall-clock time.
- A block starting or ending at a wall-clock time that happens twice (clocks going back) is
  warned about, naming which of the two it is (`warn_repeated_times`). Typed local times take
  the first (see `tms.timezones.local_instant`); an API client may give either by its offset.

Both warnings are part of the schedule check, `planning.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tms.timezones import day_label, local_label, repeated_time, utc_offset_label
from venues.models import Room, Site

if TYPE_CHECKING:
    from scheduling.services.planning import ProposedBlock, Report

ZONE_DIFFERS = "zone_differs_from_site"
REPEATED_TIME = "repeated_local_time"


def first_room_site(rooms: Iterable[Room | None]) -> Site | None:
    """The site whose zone a new session takes when none is given: its first room's."""
    room = next((r for r in rooms if r is not None), None)
    return room.site if room is not None else None


def _sites_of(rooms: Sequence[Room]) -> dict[int, Site]:
    """Each room's site, from the rooms when loaded with them, else in one query."""
    sites = {r.site_id: r.site for r in rooms if Room.site.is_cached(r)}
    missing = {r.site_id for r in rooms} - set(sites)
    if missing:
        sites.update(Site.objects.in_bulk(missing))
    return sites


def warn_zone_differs(time_zone: str, rooms: Iterable[Room | None], report: Report) -> None:
    """Warn once per site whose zone is not the session's `time_zone`."""
    chosen = list(dict.fromkeys(r for r in rooms if r is not None))
    if not chosen:
        return
    sites = _sites_of(chosen)
    warned: set[int] = set()
    for room in chosen:
        site = sites[room.site_id]
        if site.time_zone == time_zone or site.pk in warned:
            continue
        warned.add(site.pk)
        report.warn(
            ZONE_DIFFERS,
            _(
                "The session's times are in %(zone)s, but %(site)s (room %(room)s) is in "
                "%(site_zone)s."
            )
            % {
                "zone": time_zone,
                "site": site.name,
                "room": room.name,
                "site_zone": site.time_zone,
            },
            "time_zone",
        )


def warn_repeated_times(time_zone: str, blocks: Sequence[ProposedBlock], report: Report) -> None:
    """Warn about each block edge at a wall-clock time that happens twice in `time_zone`."""
    for block in blocks:
        for edge, moment in (("start", block.starts_at), ("end", block.ends_at)):
            repeated = repeated_time(moment, time_zone)
            if repeated is None:
                continue
            change, local = repeated
            values = {
                "time": f"{local:%H:%M}",
                "day": day_label(local.date()),
                "zone": time_zone,
                "change": change.describe(),
                "name": local_label(local),
                "offset": utc_offset_label(local),
            }
            if edge == "start" and local.fold == 0:
                text = _("this block starts at the first %(time)s, %(name)s (%(offset)s)")
            elif edge == "start":
                text = _("this block starts at the second %(time)s, %(name)s (%(offset)s)")
            elif local.fold == 0:
                text = _("this block ends at the first %(time)s, %(name)s (%(offset)s)")
            else:
                text = _("this block ends at the second %(time)s, %(name)s (%(offset)s)")
            report.warn(
                REPEATED_TIME,
                _("%(time)s on %(day)s happens twice in %(zone)s (%(change)s): %(which)s.")
                % {**values, "which": text % values},
                f"blocks[{block.index}]",
            )
