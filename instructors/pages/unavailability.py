"""Unavailability (leave, other duties), typed and shown in the instructor's home zone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from instructors import services
from instructors.models import Unavailability, UnavailabilityKind
from instructors.pages.profiles import instructor_rows
from instructors.pages.working_hours import instructor_field
from tms.crud import Column, Resource, ResourceForm
from tms.local_fields import WallClockField, instant_in, wall_clock, zoned

IN_HOME_ZONE = _("In the instructor's home time zone.")


class UnavailabilityForm(ResourceForm):
    instructor = instructor_field()
    starts = WallClockField(label=_("From"), help_text=IN_HOME_ZONE)
    ends = WallClockField(label=_("Until"), help_text=IN_HOME_ZONE)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnavailabilityKind.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instructor"].queryset = instructor_rows()  # type: ignore[attr-defined]
        if self.instance is not None:
            del self.fields["instructor"]

    def initial_from(self, absence: Unavailability) -> dict[str, Any]:
        zone = absence.instructor.home_time_zone
        return {
            "starts": wall_clock(absence.starts_at, zone),
            "ends": wall_clock(absence.ends_at, zone),
            "kind": absence.kind,
            "note": absence.note,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        person = self.instance.instructor if self.instance else data.get("instructor")
        if person is not None:
            data["starts_at"] = instant_in(self, "starts", person.home_time_zone)
            data["ends_at"] = instant_in(self, "ends", person.home_time_zone)
            if data["starts_at"] and data["ends_at"] and data["ends_at"] <= data["starts_at"]:
                self.add_error("ends", _("The period must end after it starts."))
        return data

    def values(self) -> dict[str, Any]:
        names = ["starts_at", "ends_at", "kind", "note"]
        if self.instance is None:
            names.append("instructor")
        return {k: self.cleaned_data[k] for k in names}


def _rows() -> QuerySet[Unavailability]:
    return Unavailability.objects.select_related("instructor__user").order_by("starts_at", "pk")


def _search(rows: QuerySet[Unavailability], text: str) -> QuerySet[Unavailability]:
    return rows.filter(
        Q(instructor__user__first_name__icontains=text)
        | Q(instructor__user__last_name__icontains=text)
        | Q(instructor__user__email__icontains=text)
        | Q(note__icontains=text)
    )


def _create(request: HttpRequest, form: ResourceForm) -> Any:
    return services.unavailability_create(**form.values())


def _update(request: HttpRequest, absence: Unavailability, form: ResourceForm) -> Any:
    return services.unavailability_update(unavailability_id=absence.pk, changes=form.values())


def _delete(request: HttpRequest, absence: Unavailability) -> None:
    services.unavailability_delete(unavailability_id=absence.pk)


UNAVAILABILITY = Resource(
    key="unavailability",
    policy="unavailability",
    title=_("Unavailability"),
    noun=_("unavailability"),
    rows=_rows,
    search=_search,
    columns=[
        Column(_("Instructor"), lambda u: u.instructor.display_name),
        Column(_("Kind"), lambda u: u.get_kind_display()),
        Column(_("From"), lambda u: zoned(u.starts_at, u.instructor.home_time_zone)),
        Column(_("Until"), lambda u: zoned(u.ends_at, u.instructor.home_time_zone)),
        Column(_("Note"), lambda u: u.note),
    ],
    form=UnavailabilityForm,
    create=_create,
    update=_update,
    delete=_delete,
    search_help=_("Instructor's name, email or note"),
    lede=_(
        "Times are in each instructor's home time zone, named. A period over sessions the "
        "instructor teaches is refused naming them: re-staff them first."
    ),
    field_names={"starts_at": "starts", "ends_at": "ends"},
)
