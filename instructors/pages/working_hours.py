"""Weekly working hours, in each instructor's home time zone (named)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from instructors import services
from instructors.models import Instructor, Weekday, WorkingHours
from instructors.pages.profiles import instructor_rows
from tms.crud import Column, Resource, ResourceForm


class InstructorChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Instructor) -> str:
        return f"{obj.display_name} ({obj.home_time_zone})"


def instructor_field() -> InstructorChoice:
    return InstructorChoice(label=_("Instructor"), queryset=Instructor.objects.none())


class WorkingHoursForm(ResourceForm):
    instructor = instructor_field()
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(
        label=_("From"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the instructor's home time zone."),
    )
    ends = forms.TimeField(
        label=_("Until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the instructor's home time zone."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = instructor_rows()  # type: ignore[attr-defined]
        if self.instance is not None:  # the service changes times, not whose they are
            del self.fields["instructor"]


def _rows() -> QuerySet[WorkingHours]:
    return WorkingHours.objects.select_related("instructor__user").order_by(
        "instructor__user__last_name", "instructor__user__first_name", "weekday", "starts", "pk"
    )


def _search(rows: QuerySet[WorkingHours], text: str) -> QuerySet[WorkingHours]:
    return rows.filter(
        Q(instructor__user__first_name__icontains=text)
        | Q(instructor__user__last_name__icontains=text)
        | Q(instructor__user__email__icontains=text)
    )


def _window(hours: WorkingHours) -> str:
    return f"{hours.starts:%H:%M}-{hours.ends:%H:%M} ({hours.instructor.home_time_zone})"


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.working_hours_create(**form.values())


def _update(request: HttpRequest, hours: WorkingHours, form: ResourceForm) -> Any:
    return services.working_hours_update(working_hours_id=hours.pk, changes=form.values())


def _delete(request: HttpRequest, hours: WorkingHours) -> None:
    services.working_hours_delete(working_hours_id=hours.pk)


WORKING_HOURS = Resource(
    key="working-hours",
    policy="working_hours",
    title=_("Working hours"),
    noun=_("working hours"),
    rows=_rows,
    search=_search,
    columns=[
        Column(_("Instructor"), lambda h: h.instructor.display_name),
        Column(_("Day"), lambda h: h.get_weekday_display()),
        Column(_("Hours"), _window),
    ],
    form=WorkingHoursForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Instructor's name or email"),
    lede=_("Times are in each instructor's home time zone, named."),
)
