"""Field helpers of the scheduling forms: local wall-clock times, widgets, choice fields."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
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
from venues.models import HostAccount, Room, Site


def local_datetime(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    """`day` at wall-clock `clock` in `zone`, as an aware datetime.

    A time skipped by a spring-forward gap moves forward (as the weekly series does); an
    ambiguous autumn time means its first occurrence.
    """
    tz = zoneinfo.ZoneInfo(zone)
    local = dt.datetime.combine(day, clock, tzinfo=tz)
    return local.astimezone(dt.UTC).astimezone(tz)


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


@functools.cache
def default_time_zone() -> str:
    """The zone most sites use (a sensible first choice), else the server's zone."""
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
    The base of the block forms, which add the room."""

    date = forms.DateField(label=_("Date"), widget=DateInput(), validators=[validate_date_range])
    starts = forms.TimeField(label=_("Start"), widget=TimeInput())
    ends = forms.TimeField(label=_("End"), widget=TimeInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The block must end after it starts."))
        return data


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
