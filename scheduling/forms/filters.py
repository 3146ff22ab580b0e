"""The filter form of the session list."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.filters import SessionFilter
from scheduling.forms.fields import (
    DateInput,
    InstructorChoiceField,
    RoomChoiceField,
    active_instructors,
    delivery_mode_filter,
    validate_date_range,
)
from scheduling.models import (
    Course,
    Session,
    SessionStatus,
)
from venues.models import Room, Site


class SessionFilterForm(forms.Form):
    """Filters for the session list; dates are days in the viewer's zone."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=DateInput(), validators=[validate_date_range]
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=DateInput(), validators=[validate_date_range]
    )
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), required=False, empty_label=_("Any")
    )
    instructor = InstructorChoiceField(
        label=_("Instructor"),
        queryset=Instructor.objects.none(),
        required=False,
        empty_label=_("Any"),
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Any")
    )
    room = RoomChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *SessionStatus.choices], required=False
    )
    delivery_mode = delivery_mode_filter()

    def __init__(
        self, *args: Any, courses: QuerySet[Course], show_status: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["instructor"].queryset = active_instructors()
        self.fields["site"].queryset = Site.objects.order_by("name")
        self.fields["room"].queryset = Room.objects.select_related("site").order_by(
            "site__name", "name"
        )
        if not show_status:
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, sessions: QuerySet[Session], zone: zoneinfo.ZoneInfo) -> QuerySet[Session]:
        """Narrow an already permission-filtered queryset; call after `is_valid()`.

        Course, people, place, status and mode go through the API's `SessionFilter`, so both
        interfaces filter alike. Dates differ on purpose: the page lists sessions that *run*
        on the chosen days (a 3-day course that began yesterday is still on today's list).
        """
        data = self.cleaned_data
        params = {
            name: getattr(value, "pk", value)
            for name in ("course", "instructor", "room", "site", "status", "delivery_mode")
            if (value := data.get(name)) not in (None, "")
        }
        sessions = SessionFilter(params, queryset=sessions).qs
        if data.get("date_from"):
            start = dt.datetime.combine(data["date_from"], dt.time(0), tzinfo=zone)
            sessions = sessions.filter(ends_at__gt=start)
        if data.get("date_to"):
            day_after = data["date_to"] + dt.timedelta(days=1)
            end = dt.datetime.combine(day_after, dt.time(0), tzinfo=zone)
            sessions = sessions.filter(starts_at__lt=end)
        return sessions
