"""Forms of the calendar pages: which period and view (GET), the coordinator's filters, and an
instructor's unavailability (typed in the instructor's own zone)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from instructors.models import UnavailabilityKind
from scheduling.calendar.entries import ScheduleFilter
from scheduling.calendar.grid import View
from scheduling.forms.fields import (
    DateInput,
    InstructorChoiceField,
    TimeInput,
    active_instructors,
    delivery_mode_filter,
)
from scheduling.models import Course
from tms.timezones import NonexistentLocalTime, local_instant
from venues.models import Site

# Far enough for any plan; keeps date arithmetic away from year 1 and 9999.
EARLIEST, LATEST = dt.date(1971, 1, 1), dt.date(9000, 12, 31)


class PeriodForm(forms.Form):
    view = forms.ChoiceField(
        label=_("View"),
        required=False,
        choices=[(View.WEEK, _("Week")), (View.MONTH, _("Month")), (View.AGENDA, _("Agenda"))],
    )
    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())

    def clean_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("date")
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(_("Choose a date between 1971 and 9000."))
        return day


class ScheduleFilterForm(forms.Form):
    """The coordinator's calendar filters (all optional)."""

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), required=False, empty_label=_("Any")
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Any")
    )
    instructor = InstructorChoiceField(
        label=_("Instructor"),
        queryset=active_instructors().none(),
        required=False,
        empty_label=_("Any"),
    )
    mode = delivery_mode_filter()

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["site"].queryset = Site.objects.order_by("name")
        self.fields["instructor"].queryset = active_instructors().order_by(
            "user__last_name", "user__username"
        )

    def filters(self) -> ScheduleFilter:
        data = self.cleaned_data
        return ScheduleFilter(
            course_id=data["course"].pk if data.get("course") else None,
            site_id=data["site"].pk if data.get("site") else None,
            instructor_id=data["instructor"].pk if data.get("instructor") else None,
            delivery_mode=data.get("mode") or "",
        )


class UnavailabilityForm(forms.Form):
    """A period away, from a day and time to a day and time in `zone` (the instructor's)."""

    kind = forms.ChoiceField(label=_("Reason"), choices=UnavailabilityKind.choices)
    start_date = forms.DateField(label=_("From (date)"), widget=DateInput())
    start_time = forms.TimeField(label=_("From (time)"), widget=TimeInput(), initial=dt.time(0))
    end_date = forms.DateField(label=_("To (date)"), widget=DateInput())
    end_time = forms.TimeField(label=_("To (time)"), widget=TimeInput(), initial=dt.time(0))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["start_time"].help_text = _("In %s.") % zone
        self.fields["end_time"].help_text = _("In %s. 00:00 is the start of that day.") % zone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for prefix in ("start", "end"):
            day, clock = data.get(f"{prefix}_date"), data.get(f"{prefix}_time")
            if day is None or clock is None:
                continue
            if not EARLIEST <= day <= LATEST:
                self.add_error(f"{prefix}_date", _("Choose a date between 1971 and 9000."))
                continue
            try:
                data[f"{prefix}s_at"] = local_instant(day, clock, self.zone, field=f"{prefix}_time")
            except NonexistentLocalTime as gap:
                self.add_error(f"{prefix}_time", gap.message)
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("end_date", _("The end must come after the start."))
        return data
