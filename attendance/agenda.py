"""The learner's upcoming sessions as an agenda (My training): each block on the learner's
local day, with "Add to calendar" (the .ics download of `attendance.calendar_views`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from scheduling.calendar.grid import Day, Entry, EntryKind, agenda_days
from scheduling.models import BlockStatus, DeliveryMode


def upcoming_agenda(registrations: Iterable[Any], *, zone: str, now: dt.datetime) -> list[Day]:
    """Days of the registrations' active blocks that have not ended (their sessions' blocks,
    rooms and sites prefetched: no queries). A registration carries `join_visible` when its
    join link may show (my_training works it out)."""
    entries = []
    for registration in registrations:
        session = registration.session
        online = session.delivery_mode == DeliveryMode.VILT
        download = reverse("attendance:registration-calendar", args=[registration.pk])
        for block in session.blocks.all():
            if block.status != BlockStatus.ACTIVE:
                continue
            if online:
                where: tuple[str, ...] = (_("Video call"),)
            elif block.room is not None:
                where = (f"{block.room.name}, {block.room.site.name}",)
            else:
                where = ()
            entries.append(
                Entry(
                    starts_at=block.starts_at,
                    ends_at=block.ends_at,
                    title=f"{session.course.code} {session.course.title}",
                    kind=EntryKind.SESSION,
                    url=reverse("scheduling:session-detail", args=[session.pk]),
                    details=where,
                    join_url=session.join_url
                    if getattr(registration, "join_visible", False)
                    else "",
                    venue_zone=session.time_zone,
                    online=online,
                    key=f"block-{block.pk}",
                    links=((_("Add to calendar"), download),),
                )
            )
    return agenda_days(entries, zone=zone, now=now)
