"""A session's facts for one reader, and its blocks as invite events: shared by the learners'
mails and downloads (attendance) and the instructors' invites (scheduling/emails.py), so both
say the same times and places under the same UIDs.

Times are in the reader's zone; where is the room, site and address, or the join link for a
video-call session when the reader may see it.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from typing import Any

from notifications.ical import InviteEvent, block_uid
from scheduling.models import BlockStatus, DeliveryMode, Session, SessionBlock
from tms.links import absolute_link


def block_facts(block: SessionBlock, local: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """One block for a reader: its times in their zone, and where it is."""
    room = block.room
    return {
        "id": block.pk,
        "starts": block.starts_at.astimezone(local),
        "ends": block.ends_at.astimezone(local),
        "room": str(room.name) if room else "",
        "site": str(room.site.name) if room else "",
        "address": str(room.site.address) if room else "",
        "cancelled": block.status != BlockStatus.ACTIVE,
    }


def session_facts(
    session: Session,
    *,
    zone: str,
    show_join_link: bool,
    blocks: Iterable[SessionBlock] | None = None,
) -> dict[str, Any]:
    """Course, blocks in the reader's zone (all the session's unless `blocks` names them), and
    where: room and address, or the join link if `show_join_link`."""
    local = zoneinfo.ZoneInfo(zone)
    if blocks is None:
        blocks = session.blocks.select_related("room__site").order_by("starts_at", "pk")
    return {
        "session": session,
        "course": session.course,
        "blocks": [block_facts(b, local) for b in blocks],
        "time_zone": zone,
        "is_virtual": session.delivery_mode == DeliveryMode.VILT,
        "join_url": session.join_url if show_join_link else "",
        "session_url": absolute_link("scheduling:session-detail", session.pk),
    }


def invite_events(
    facts: dict[str, Any], *, include_join_link: bool, owner: str
) -> list[InviteEvent]:
    """One VEVENT per block, with the block's UID for this reader (`owner`)."""
    session: Session = facts["session"]
    events = []
    for block in facts["blocks"]:
        where = (
            session.join_url
            if facts["is_virtual"] and include_join_link
            else ", ".join(x for x in (block["room"], block["site"], block["address"]) if x)
        )
        events.append(
            InviteEvent(
                uid=block_uid(block["id"], owner),
                starts_at=block["starts"],
                ends_at=block["ends"],
                summary=f"{session.course.code} {session.course.title}",
                location=where,
                description=facts["session_url"],
                url=facts["session_url"],
                cancelled=block["cancelled"],
            )
        )
    return events
