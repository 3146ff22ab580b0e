"""Writes for venues: sites, rooms, room closures and virtual-classroom host accounts.

One transaction per function. Model rules run through `full_clean()` and come back as a 400
naming the field; a row still used by sessions cannot be deleted (409). Closures and buffer
changes must not contradict existing room bookings: the room row is locked, the bookings are
checked, and a clash is a 409 naming the sessions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2.extras import DateTimeTZRange

from tms.hooks import refuse_if_booked
from tms.writes import apply_changes, clean_and_save, delete_unless_used
from venues.models import HostAccount, Room, RoomClosure, Site

SITE_FIELDS = frozenset({"name", "address", "time_zone"})
ROOM_FIELDS = frozenset(
    {
        "site",
        "name",
        "capacity",
        "features",
        "setup_buffer_minutes",
        "teardown_buffer_minutes",
        "bookable",
    }
)
CLOSURE_FIELDS = frozenset({"room", "starts_at", "ends_at", "reason"})
HOST_ACCOUNT_FIELDS = frozenset({"name", "provider", "base_url", "participant_limit", "active"})


# --- Sites ----------------------------------------------------------------------------------


def site_create(*, name: str, time_zone: str, address: str = "") -> Site:
    with transaction.atomic(durable=True):
        return clean_and_save(Site(name=name, address=address, time_zone=time_zone))


def site_update(*, site_id: int, changes: Mapping[str, Any]) -> Site:
    with transaction.atomic(durable=True):
        site = Site.objects.select_for_update().get(pk=site_id)
        return clean_and_save(apply_changes(site, changes, SITE_FIELDS))


def site_delete(*, site_id: int) -> None:
    with transaction.atomic(durable=True):
        site = Site.objects.select_for_update().get(pk=site_id)
        delete_unless_used(site, hint=_("Delete or move its rooms first."))


# --- Rooms ----------------------------------------------------------------------------------


def room_create(
    *,
    site: Site,
    name: str,
    capacity: int,
    features: list[str] | None = None,
    setup_buffer_minutes: int = 0,
    teardown_buffer_minutes: int = 0,
    bookable: bool = True,
) -> Room:
    with transaction.atomic(durable=True):
        return clean_and_save(
            Room(
                site=site,
                name=name,
                capacity=capacity,
                features=list(features or []),
                setup_buffer_minutes=setup_buffer_minutes,
                teardown_buffer_minutes=teardown_buffer_minutes,
                bookable=bookable,
            )
        )


def room_update(
    *, room_id: int, changes: Mapping[str, Any], now: dt.datetime | None = None
) -> Room:
    """Change a room. Buffers are folded into existing bookings, so they cannot change while
    the room has bookings that have not ended (409 naming them): cancel or move those first."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        room = _lock_room(room_id)
        buffers = (room.setup_buffer_minutes, room.teardown_buffer_minutes)
        apply_changes(room, changes, ROOM_FIELDS)
        if (room.setup_buffer_minutes, room.teardown_buffer_minutes) != buffers:
            refuse_buffer_change(room, now=now)
        return clean_and_save(room)


def room_delete(*, room_id: int) -> None:
    with transaction.atomic(durable=True):
        room = _lock_room(room_id)
        delete_unless_used(room, hint=_("Mark it as not bookable instead."))


def _lock_room(room_id: int) -> Room:
    """Lock the room: closures and buffer changes of one room are serialised."""
    return Room.objects.select_for_update(of=("self",)).select_related("site").get(pk=room_id)


# --- Room closures ----------------------------------------------------------------------------


def room_closure_create(
    *, room: Room, starts_at: dt.datetime, ends_at: dt.datetime, reason: str
) -> RoomClosure:
    """Close a room for a period. Refused (409) if bookings of the room (buffers included)
    overlap the period: the sessions are named so they can be moved first."""
    with transaction.atomic(durable=True):
        locked = _lock_room(room.pk)
        closure = RoomClosure(room=locked, starts_at=starts_at, ends_at=ends_at, reason=reason)
        return _save_closure(closure)


def room_closure_update(*, closure_id: int, changes: Mapping[str, Any]) -> RoomClosure:
    with transaction.atomic(durable=True):
        closure = RoomClosure.objects.get(pk=closure_id)
        apply_changes(closure, changes, CLOSURE_FIELDS)
        closure.room = _lock_room(closure.room_id)
        return _save_closure(closure)


def room_closure_delete(*, closure_id: int) -> None:
    with transaction.atomic(durable=True):
        RoomClosure.objects.filter(pk=closure_id).delete()


def _save_closure(closure: RoomClosure) -> RoomClosure:
    """Assumes the closure's room row is locked."""
    refuse_closure_over_bookings(closure)
    return clean_and_save(closure)


# The checks are scheduling's, which owns the bookings (see tms.hooks); the admin's forms call
# them too. Each raises a 409 naming the sessions.


def refuse_buffer_change(room: Room, *, now: dt.datetime) -> None:
    """Buffers are folded into bookings: they cannot change while bookings are to come."""
    message = _("Room %s has upcoming bookings; its buffers cannot change.") % room
    refuse_if_booked("room", room, DateTimeTZRange(now, None, "[)"), message)


def refuse_closure_over_bookings(closure: RoomClosure) -> None:
    if closure.starts_at and closure.ends_at and closure.ends_at > closure.starts_at:
        period = DateTimeTZRange(closure.starts_at, closure.ends_at, "[)")
        message = _("Room %s is booked during this closure.") % closure.room
        refuse_if_booked("room", closure.room, period, message)


# --- Host accounts -----------------------------------------------------------------------------


def host_account_create(
    *,
    name: str,
    provider: str,
    participant_limit: int,
    base_url: str = "",
    active: bool = True,
) -> HostAccount:
    with transaction.atomic(durable=True):
        return clean_and_save(
            HostAccount(
                name=name,
                provider=provider,
                base_url=base_url,
                participant_limit=participant_limit,
                active=active,
            )
        )


def host_account_update(*, host_account_id: int, changes: Mapping[str, Any]) -> HostAccount:
    with transaction.atomic(durable=True):
        account = HostAccount.objects.select_for_update().get(pk=host_account_id)
        return clean_and_save(apply_changes(account, changes, HOST_ACCOUNT_FIELDS))


def host_account_delete(*, host_account_id: int) -> None:
    with transaction.atomic(durable=True):
        account = HostAccount.objects.select_for_update().get(pk=host_account_id)
        delete_unless_used(account, hint=_("Deactivate it instead."))
