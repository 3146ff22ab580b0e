"""The room and instructor availability searches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from scheduling.forms.fields import (
    DatedBlockForm,
    room_features_filter,
    site_filter,
    time_zone_choices,
)
from scheduling.models import (
    Course,
)
from venues.models import MAX_CAPACITY


class SlotForm(DatedBlockForm):
    """One time slot, typed as wall-clock time in a zone (read like a block's times)."""

    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def clean(self) -> dict[str, Any]:
        self.zone = self.cleaned_data.get("time_zone")
        return super().clean()

    def blocks(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """Call after `is_valid()`."""
        if self.instants is None:
            raise ValueError("blocks() needs a valid form")
        return [self.instants]


class RoomSearchForm(SlotForm):
    min_capacity = forms.IntegerField(
        label=_("At least this many seats"), min_value=1, max_value=MAX_CAPACITY, initial=1
    )
    features = room_features_filter(_("Features"))
    site = site_filter()


class InstructorSearchForm(SlotForm):
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), empty_label=_("Choose a course")
    )
    field_order: Iterable[str] = ["course", "date", "starts", "ends", "time_zone"]

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses.filter(active=True)
