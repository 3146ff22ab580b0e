"""The filters of an export: one dataclass (stored as JSON on the record) and its form."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from scheduling.models import Course, Session
from venues.models import Site

_ID_FIELDS = ("course", "site", "instructor", "learner", "session")


@dataclass(frozen=True)
class ExportFilters:
    """Dates are whole UTC days, inclusive: a block (or session) starting on `date_to` counts."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    course: int | None = None
    site: int | None = None
    instructor: int | None = None
    learner: int | None = None
    session: int | None = None

    def as_json(self) -> dict[str, Any]:
        """Only the filters given, dates in ISO form: what the manifest shows."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value is None:
                continue
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportFilters:
        values: dict[str, Any] = {}
        for key in ("date_from", "date_to"):
            if data.get(key):
                values[key] = dt.date.fromisoformat(data[key])
        for key in _ID_FIELDS:
            if data.get(key) is not None:
                values[key] = int(data[key])
        return cls(**values)


class ExportFiltersForm(forms.Form):
    """Shape only: ids must name existing rows, dates must be in order. What a role may export
    is the service's rule (compliance.exports.services.export_request)."""

    date_from = forms.DateField(
        required=False, label=_("From (UTC date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("To (UTC date)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("code"), required=False, label=_("Course")
    )
    site = forms.ModelChoiceField(
        queryset=Site.objects.order_by("name"), required=False, label=_("Site")
    )
    instructor = forms.ModelChoiceField(queryset=None, required=False, label=_("Instructor"))
    learner = forms.ModelChoiceField(queryset=None, required=False, label=_("Learner"))
    session = forms.ModelChoiceField(
        queryset=Session.objects.select_related("course").order_by("-starts_at", "pk"),
        required=False,
        label=_("Session"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from instructors.models import Instructor

        user_model = get_user_model()
        self.fields["instructor"].queryset = Instructor.objects.select_related("user")
        self.fields["learner"].queryset = user_model.objects.filter(
            groups__name="Learner"
        ).order_by("last_name", "first_name", "username")
        self.fields["learner"].label_from_instance = _learner_label

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            **{key: data[key].pk for key in _ID_FIELDS if data.get(key) is not None},
        )


def _learner_label(user: Any) -> str:
    name = user.get_full_name() or user.get_username()
    return f"{name} <{user.email}>" if user.email else name


class ExportRequestForm(ExportFiltersForm):
    """One dataset's form: its format and the filters it offers (the others are removed)."""

    dataset = forms.CharField(widget=forms.HiddenInput)
    format = forms.ChoiceField(label=_("Format"), choices=())

    def __init__(
        self,
        *args: Any,
        dataset: Any = None,
        own_only: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{dataset.name}_%s" if dataset else "id_%s")
        super().__init__(*args, **kwargs)
        self.export_dataset = dataset
        if dataset is not None:
            self.fields["dataset"].initial = dataset.name
            self.fields["format"].choices = [(f, f.upper()) for f in dataset.formats]
            offered = set(dataset.filters) - ({"learner"} if own_only else set())
            for name in set(_ID_FIELDS) | {"date_from", "date_to"}:
                if name not in offered:
                    del self.fields[name]
            for name in dataset.required:
                if name in self.fields:
                    self.fields[name].required = True

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            **{key: data[key].pk for key in _ID_FIELDS if data.get(key) is not None},
        )
