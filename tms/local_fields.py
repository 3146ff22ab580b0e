"""Form fields for typed wall-clock times on the management pages: a date and time read in a
zone the form decides (a room's site, an instructor's home zone), through the one rule for
clock changes (`tms.timezones.local_instant`), and shown back in that zone, named."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tms.api import EARLIEST, LATEST
from tms.timezones import NonexistentLocalTime, local_instant, local_label

INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class WallClockField(forms.DateTimeField):
    """A date and time as typed, returned naive: the form knows the zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        # Parsed in UTC, which has no gaps, then the zone is dropped.
        with timezone.override(dt.UTC):
            parsed = super().to_python(value)
        if parsed is None:
            return None
        if not EARLIEST.year < parsed.year < LATEST.year - 1:
            raise ValidationError(
                _("Dates must lie between the years %(first)s and %(last)s."),
                code="date_range",
                params={"first": EARLIEST.year + 1, "last": LATEST.year - 2},
            )
        return parsed.replace(tzinfo=None)


def instant_in(form: forms.Form, name: str, zone: str) -> dt.datetime | None:
    """The cleaned wall-clock value of `name` as an instant in `zone`; a time the clocks skip
    becomes an error on the field (naming the change)."""
    value = form.cleaned_data.get(name)
    if value is None:
        return None
    try:
        return local_instant(value.date(), value.time(), zone, field=name)
    except NonexistentLocalTime as error:
        form.add_error(name, error.message)
        return None


def wall_clock(instant: dt.datetime, zone: str) -> dt.datetime:
    """An instant as the naive wall-clock reading of `zone`, for a form's initial value."""
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


def zoned(instant: dt.datetime, zone: str) -> str:
    """An instant in `zone`, named: "Mon 4 Mar 2030 09:00 CET (Europe/Paris)"."""
    local = instant.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local_label(local)} ({zone})"
