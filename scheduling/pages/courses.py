"""Courses: code, title, defaults, delivery modes, wanted room features, prerequisites."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from scheduling.models import Course, DeliveryMode
from scheduling.services import courses as services
from tms.crud import Column, Resource, ResourceForm
from venues.models import MAX_CAPACITY, RoomFeature

WEEK_MINUTES = 7 * 24 * 60


class CourseForm(ResourceForm):
    code = forms.CharField(label=_("Code"), max_length=32)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea({"rows": 4}),
    )
    default_duration_minutes = forms.IntegerField(
        label=_("Default duration (minutes)"), min_value=1, max_value=WEEK_MINUTES, initial=180
    )
    default_capacity = forms.IntegerField(
        label=_("Default capacity"), min_value=1, max_value=MAX_CAPACITY, initial=12
    )
    delivery_modes = forms.MultipleChoiceField(
        label=_("Delivery modes"), choices=DeliveryMode.choices, widget=forms.CheckboxSelectMultiple
    )
    wanted_room_features = forms.MultipleChoiceField(
        label=_("Room features it needs"),
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label=_("Prerequisites"),
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Course.objects.order_by("code")
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        self.fields["prerequisites"].queryset = others  # type: ignore[attr-defined]

    def initial_from(self, course: Course) -> dict[str, Any]:
        initial = super().initial_from(course)
        initial["prerequisites"] = list(course.prerequisites.all())
        return initial


def _rows() -> QuerySet[Course]:
    return Course.objects.prefetch_related(
        Prefetch("prerequisites", queryset=Course.objects.order_by("code"))
    ).order_by("code", "pk")


def _search(rows: QuerySet[Course], text: str) -> QuerySet[Course]:
    return rows.filter(Q(code__icontains=text) | Q(title__icontains=text))


def _modes(course: Course) -> str:
    labels = dict(DeliveryMode.choices)
    return ", ".join(str(labels.get(m, m)) for m in course.delivery_modes)


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.course_create(**form.values())


def _update(request: HttpRequest, course: Course, form: ResourceForm) -> Any:
    return services.course_update(course_id=course.pk, changes=form.values())


def _delete(request: HttpRequest, course: Course) -> None:
    services.course_delete(course_id=course.pk)


COURSES = Resource(
    key="courses",
    policy="course",
    title=_("Courses"),
    noun=_("course"),
    rows=_rows,
    search=_search,
    columns=[
        Column(_("Code"), lambda c: c.code),
        Column(_("Title"), lambda c: c.title),
        Column(_("Modes"), _modes),
        Column(_("Prerequisites"), lambda c: ", ".join(p.code for p in c.prerequisites.all())),
        Column(_("Active"), lambda c: _("Yes") if c.active else _("No")),
    ],
    form=CourseForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Code or title"),
    delete_help=_("A course with sessions cannot be deleted: mark it inactive instead."),
)
