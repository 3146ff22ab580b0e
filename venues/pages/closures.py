"""Room closures, typed and shown in the room's site's time zone (named)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tms.crud import Column, Resource, ResourceForm
from tms.local_fields import WallClockField, instant_in, wall_clock, zoned
from venues import services
from venues.models import Room, RoomClosure
from venues.selectors import room_closure_list, room_list


class RoomChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Room) -> str:
        return f"{obj} ({obj.site.time_zone})"


class ClosureForm(ResourceForm):
    room = RoomChoice(label=_("Room"), queryset=Room.objects.none())
    starts = WallClockField(
        label=_("Closed from"),
        help_text=_("In the time zone of the room's site (shown with each room)."),
    )
    ends = WallClockField(
        label=_("Closed until"),
        help_text=_("In the time zone of the room's site (shown with each room)."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = room_list()  # type: ignore[attr-defined]

    def initial_from(self, closure: RoomClosure) -> dict[str, Any]:
        zone = closure.room.site.time_zone
        return {
            "room": closure.room,
            "starts": wall_clock(closure.starts_at, zone),
            "ends": wall_clock(closure.ends_at, zone),
            "reason": closure.reason,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        room = data.get("room")
        if room is not None:
            data["starts_at"] = instant_in(self, "starts", room.site.time_zone)
            data["ends_at"] = instant_in(self, "ends", room.site.time_zone)
            if data["starts_at"] and data["ends_at"] and data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", _("The closure must end after it starts."))
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("room", "starts_at", "ends_at", "reason")}


def _search(rows: QuerySet[RoomClosure], text: str) -> QuerySet[RoomClosure]:
    return rows.filter(
        Q(reason__icontains=text)
        | Q(room__name__icontains=text)
        | Q(room__site__name__icontains=text)
    )


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.room_closure_create(**form.values())


def _update(request: HttpRequest, closure: RoomClosure, form: ResourceForm) -> Any:
    return services.room_closure_update(closure_id=closure.pk, changes=form.values())


def _delete(request: HttpRequest, closure: RoomClosure) -> None:
    services.room_closure_delete(closure_id=closure.pk)


CLOSURES = Resource(
    key="closures",
    policy="room_closure",
    title=_("Room closures"),
    noun=_("closure"),
    rows=room_closure_list,
    search=_search,
    columns=[
        Column(_("Room"), lambda c: str(c.room)),
        Column(_("From"), lambda c: zoned(c.starts_at, c.room.site.time_zone)),
        Column(_("Until"), lambda c: zoned(c.ends_at, c.room.site.time_zone)),
        Column(_("Reason"), lambda c: c.reason),
    ],
    form=ClosureForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Room, site or reason"),
    lede=_(
        "Times are in each room's site's time zone, named. A closure over a booking is refused "
        "naming the sessions: move them first."
    ),
    field_names={"starts_at": "starts", "ends_at": "ends"},
)
