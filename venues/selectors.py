"""Reads for venues. Everyone with access to a venue resource sees all of it (see the policy
table in tms/permissions.py); the querysets only add what listing needs."""

from __future__ import annotations

from django.db.models import QuerySet

from venues.models import HostAccount, Room, RoomClosure, Site


def site_list() -> QuerySet[Site]:
    return Site.objects.order_by("name", "pk")


def room_list() -> QuerySet[Room]:
    return Room.objects.select_related("site").order_by("site__name", "name", "pk")


def room_closure_list() -> QuerySet[RoomClosure]:
    return RoomClosure.objects.select_related("room__site").order_by("starts_at", "pk")


def host_account_list() -> QuerySet[HostAccount]:
    return HostAccount.objects.order_by("name", "pk")
