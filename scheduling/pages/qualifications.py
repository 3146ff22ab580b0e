"""Qualifications: which instructor may teach which course, until when."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from instructors import services
from instructors.models import Qualification
from instructors.pages.profiles import instructor_rows
from instructors.pages.working_hours import instructor_field
from scheduling.models import Course
from tms.crud import Column, Resource, ResourceForm


class QualificationForm(ResourceForm):
    instructor = instructor_field()
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none())
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: does not expire. An expired qualification no longer counts."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = instructor_rows()  # type: ignore[attr-defined]
        self.fields["course"].queryset = Course.objects.order_by("code")  # type: ignore[attr-defined]
        if self.instance is not None:  # only the expiry changes
            del self.fields["instructor"]
            del self.fields["course"]

    def clean_expires_on(self) -> Any:
        day = self.cleaned_data.get("expires_on")
        if day is not None and not 1900 < day.year < 3000:
            raise forms.ValidationError(_("Dates must lie between the years 1901 and 2999."))
        return day


def _rows() -> QuerySet[Qualification]:
    return Qualification.objects.select_related("instructor__user", "course").order_by(
        "instructor__user__last_name", "instructor__user__first_name", "course__code", "pk"
    )


def _search(rows: QuerySet[Qualification], text: str) -> QuerySet[Qualification]:
    return rows.filter(
        Q(instructor__user__first_name__icontains=text)
        | Q(instructor__user__last_name__icontains=text)
        | Q(instructor__user__email__icontains=text)
        | Q(course__code__icontains=text)
        | Q(course__title__icontains=text)
    )


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.qualification_create(**form.values())


def _update(request: HttpRequest, qualification: Qualification, form: ResourceForm) -> Any:
    return services.qualification_update(qualification_id=qualification.pk, changes=form.values())


def _delete(request: HttpRequest, qualification: Qualification) -> None:
    services.qualification_delete(qualification_id=qualification.pk)


QUALIFICATIONS = Resource(
    key="qualifications",
    policy="qualification",
    title=_("Qualifications"),
    noun=_("qualification"),
    rows=_rows,
    search=_search,
    columns=[
        Column(_("Instructor"), lambda q: q.instructor.display_name),
        Column(_("Course"), lambda q: str(q.course)),
        Column(_("Expires on"), lambda q: q.expires_on.isoformat() if q.expires_on else _("Never")),
    ],
    form=QualificationForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Instructor or course"),
)
