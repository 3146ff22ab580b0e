"""The session sign-in sheet (PDF): the session, its blocks in the session's zone (named),
where it takes place, its instructors, and one row per confirmed learner with a signature
column per active block."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.template.loader import render_to_string

from compliance.exports.writers import pdf_bytes
from scheduling.models import BlockStatus, Session
from tms.timezones import DASH, local_label


def sign_in_sheet_pdf(*, session_id: int, rows: Sequence[Sequence[Any]]) -> bytes:
    session = (
        Session.objects.select_related("course", "host_account")
        .prefetch_related("blocks__room__site", "assignments__instructor__user")
        .get(pk=session_id)
    )
    zone = zoneinfo.ZoneInfo(session.time_zone)
    blocks = []
    for block in session.blocks.all():
        if block.status != BlockStatus.ACTIVE:
            continue
        starts, ends = block.starts_at.astimezone(zone), block.ends_at.astimezone(zone)
        blocks.append(
            {
                "date": f"{starts:%a %d %b %Y}",
                "times": (
                    f"{starts:%H:%M} {local_label(starts)} {DASH} {ends:%H:%M} {local_label(ends)}"
                ),
                "place": (
                    f"{block.room.name}, {block.room.site.name}"
                    if block.room
                    else (session.host_account.name if session.host_account else "")
                ),
            }
        )
    context = {
        "session": session,
        "zone": session.time_zone,
        "blocks": blocks,
        "instructors": [a.instructor.display_name for a in session.assignments.all()],
        "learners": [{"name": r[0], "email": r[1]} for r in rows],
    }
    return pdf_bytes(render_to_string("compliance/exports/sign_in_sheet.html", context))
