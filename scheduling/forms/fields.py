"""Field helpers of the scheduling forms: local wall-clock times, widgets, choice fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.models import DeliveryMode
from tms.api import EARLIEST, LATEST
from tms.forms import time_zone_choices  # noqa: F401 (re-exported for the scheduling forms)
from tms.timezones import NonexistentLocalTime, local_instant
from venues.models import HostAccount, Room, RoomFeature, Site


def validate_date_range(value: dt.date) -> None:
    """Keep typed dates (and date-times) within the API's range, far from year 1 and 9999,
    where day arithmetic and zone conversion overflow."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST.date() <= day < LATEST.date():
        raise ValidationError(
            _("Dates must lie between the years %(first)s and %(last)s."),
            code="date_range",
            params={"first": EARLIEST.year, "last": LATEST.year - 1},
        )


def default_time_zone() -> str:
    """The zone most sites use (a sensible first choice), else the server's zone. Read each
    time (one small query): a process-wide cache kept the zone of whatever sites existed when
    it first ran."""
    from django.conf import settings

    common = (
        Site.objects.values("time_zone").annotate(n=Count("pk")).order_by("-n", "time_zone").first()
    )
    return common["time_zone"] if common else settings.TIME_ZONE


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class RoomsBySiteIterator(ModelChoiceIterator):
    """Room options grouped by site (<optgroup>), so each label can stay short."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list[Any]] = {}
        for room in self.queryset:
            groups.setdefault(room.site.name, []).append(self.choice(room))
        yield from groups.items()


class RoomChoiceField(forms.ModelChoiceField):
    iterator = RoomsBySiteIterator

    def label_from_instance(self, obj: Room) -> str:
        return _("%(room)s · %(cap)s seats") % {"room": obj.name, "cap": obj.capacity}


class InstructorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Instructor) -> str:
        return obj.display_name


class InstructorMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Instructor) -> str:
        return obj.display_name


class HostAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: HostAccount) -> str:
        return _("%(name)s · up to %(limit)s participants") % {
            "name": obj.name,
            "limit": obj.participant_limit,
        }


def bookable_rooms() -> QuerySet[Room]:
    return Room.objects.select_related("site").filter(bookable=True).order_by("site__name", "name")


def active_instructors() -> QuerySet[Instructor]:
    return Instructor.objects.select_related("user").filter(active=True)


class DatedBlockForm(forms.Form):
    """A day and a local start and end (wall-clock time); the end must come after the start.
    The base of the block forms, which add the room.

    A form that knows its zone when it is built sets `zone` (a saved session's): `clean()`
    then turns the times into `instants`. The new-session rows learn the zone from the session
    form and call `instants_in()` themselves.
    """

    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[validate_date_range])
    starts = forms.TimeField(label=_("Start"), widget=TimeInput())
    ends = forms.TimeField(label=_("End"), widget=TimeInput())

    zone: str | None = None
    instants: tuple[dt.datetime, dt.datetime] | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The block must end after it starts."))
        elif self.zone and starts and ends and data.get("date"):
            self.instants = self.instants_in(self.zone)
        return data

    def instants_in(self, zone: str) -> tuple[dt.datetime, dt.datetime] | None:
        """Start and end read in `zone` by the one clock-change rule
        (`tms.timezones.local_instant`): a time the clocks skip becomes an error on its field
        (and None is returned); a repeated time is its first occurrence."""
        day = self.cleaned_data["date"]
        clocks = {"starts": self.cleaned_data["starts"], "ends": self.cleaned_data["ends"]}
        found: dict[str, dt.datetime] = {}
        for name, clock in clocks.items():
            try:
                found[name] = local_instant(day, clock, zone, field=name)
            except NonexistentLocalTime as error:
                self.add_error(name, error.message)
        if len(found) < len(clocks):
            return None
        return found["starts"], found["ends"]


def delivery_mode_filter() -> forms.ChoiceField:
    """ "In a room", "Video call" or any: the mode filter of session lists and the catalog."""
    return forms.ChoiceField(
        label=_("Mode"),
        choices=[
            ("", _("Any")),
            (DeliveryMode.ILT, _("In a room")),
            (DeliveryMode.VILT, _("Video call")),
        ],
        required=False,
    )


def room_features_filter(label: str) -> forms.MultipleChoiceField:
    """The room features a search asks for, as checkboxes (none: any room)."""
    return forms.MultipleChoiceField(
        label=label,
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def site_filter() -> forms.ModelChoiceField:
    """An optional site of a search ("Any" when empty)."""
    return forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.order_by("name"),
        required=False,
        empty_label=_("Any"),
    )
