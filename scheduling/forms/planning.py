"""The planning forms: "find a slot for a session" (every block of a session at once) and
"copy a session"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from scheduling.forms.fields import (
    DatedBlockForm,
    DateInput,
    room_features_filter,
    site_filter,
    time_zone_choices,
    validate_date_range,
)
from scheduling.models import Course
from venues.models import MAX_CAPACITY

MAX_SEARCH_BLOCKS = 50


class SearchBlockFormSet(forms.BaseFormSet):
    @property
    def filled_forms(self) -> list[tuple[int, DatedBlockForm]]:
        """(index, form) of the rows the user filled in (empty rows are ignored)."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.has_changed() and getattr(form, "cleaned_data", None)
        ]


SearchBlocks = formset_factory(
    DatedBlockForm,
    formset=SearchBlockFormSet,
    extra=3,
    max_num=MAX_SEARCH_BLOCKS,
    absolute_max=MAX_SEARCH_BLOCKS,
)


class SessionSearchForm(forms.Form):
    """What the session needs: its course (for qualifications), seats, room features, a site
    (optional) and the zone its dates and times are read in. The blocks come from
    `SearchBlocks`."""

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), empty_label=_("Choose a course")
    )
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, max_value=MAX_CAPACITY, initial=1)
    features = room_features_filter(_("Room features"))
    site = site_filter()
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("The blocks' dates and times are wall-clock times in this zone."),
    )
    # Chosen so far (carried from one result's "Choose" to the next search).
    room = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses.filter(active=True)


class SessionSearch:
    """`SessionSearchForm` + the blocks, read as instants in the chosen zone."""

    def __init__(self, data: Any, *, courses: QuerySet[Course], initial: Any = None) -> None:
        self.form = SessionSearchForm(data, courses=courses, initial=initial)
        self.blocks = SearchBlocks(data, prefix="blocks")
        self.block_errors: list[str] = []
        self.instants: list[tuple[dt.datetime, dt.datetime]] = []

    def is_valid(self) -> bool:
        form_ok = self.form.is_valid()
        blocks_ok = self.blocks.is_valid()
        if blocks_ok and not self.blocks.filled_forms:
            self.block_errors.append(str(_("Add at least one block.")))
            blocks_ok = False
        if not (form_ok and blocks_ok):
            return False
        zone = self.form.cleaned_data["time_zone"]
        found = [row.instants_in(zone) for _index, row in self.blocks.filled_forms]
        if any(times is None for times in found):
            return False
        self.instants = sorted(t for t in found if t is not None)
        return True

    def local_rows(self) -> list[dict[str, str]]:
        """The filled rows as typed (date, start, end), in start order, for links."""
        rows = [
            {
                "date": row.cleaned_data["date"].isoformat(),
                "starts": row.cleaned_data["starts"].strftime("%H:%M"),
                "ends": row.cleaned_data["ends"].strftime("%H:%M"),
            }
            for _index, row in self.blocks.filled_forms
        ]
        return sorted(rows, key=lambda r: (r["date"], r["starts"]))


class CopySessionForm(forms.Form):
    first_day = forms.DateField(
        label=_("New first day"),
        widget=DateInput(),
        validators=[validate_date_range],
        help_text=_(
            "In the session's zone. Every block moves by the same number of days and keeps "
            "its wall-clock times."
        ),
    )
