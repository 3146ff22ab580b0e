"""Rooms: capacity, features, setup/teardown buffers, bookable or not."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tms.crud import Column, Resource, ResourceForm
from venues import services
from venues.models import MAX_CAPACITY, Room, RoomFeature, Site
from venues.selectors import room_list, site_list

DAY_MINUTES = 24 * 60


class RoomForm(ResourceForm):
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=MAX_CAPACITY)
    features = forms.MultipleChoiceField(
        label=_("Features"),
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    setup_buffer_minutes = forms.IntegerField(
        label=_("Setup buffer (minutes)"), min_value=0, max_value=DAY_MINUTES, initial=0
    )
    teardown_buffer_minutes = forms.IntegerField(
        label=_("Teardown buffer (minutes)"), min_value=0, max_value=DAY_MINUTES, initial=0
    )
    bookable = forms.BooleanField(label=_("Bookable"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = site_list()  # type: ignore[attr-defined]


def _search(rows: QuerySet[Room], text: str) -> QuerySet[Room]:
    return rows.filter(Q(name__icontains=text) | Q(site__name__icontains=text))


def _features(room: Room) -> str:
    labels = dict(RoomFeature.choices)
    return ", ".join(str(labels.get(f, f)) for f in room.features)


def _buffers(room: Room) -> str:
    return f"{room.setup_buffer_minutes} / {room.teardown_buffer_minutes} min"


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.room_create(**form.values())


def _update(request: HttpRequest, room: Room, form: ResourceForm) -> Any:
    return services.room_update(room_id=room.pk, changes=form.values(), now=timezone.now())


def _delete(request: HttpRequest, room: Room) -> None:
    services.room_delete(room_id=room.pk)


ROOMS = Resource(
    key="rooms",
    policy="room",
    title=_("Rooms"),
    noun=_("room"),
    rows=room_list,
    search=_search,
    columns=[
        Column(_("Room"), str),
        Column(_("Capacity"), lambda r: r.capacity),
        Column(_("Features"), _features),
        Column(_("Buffers (setup / teardown)"), _buffers),
        Column(_("Bookable"), lambda r: _("Yes") if r.bookable else _("No")),
    ],
    form=RoomForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Room or site name"),
    lede=_(
        "Buffers are added around every booking of the room; they cannot change while the room "
        "has bookings to come."
    ),
    delete_help=_("A room used by sessions cannot be deleted: mark it as not bookable instead."),
)
