"""Instructor pickers that know the session's blocks: the qualified, free instructors first,
the others shown disabled with the reason (from `services.availability`, i.e. the planner).

A picker without blocks yet (an empty form) lists everyone in name order. An instructor who
is already chosen stays selectable whatever the reason, so that sending the form again keeps
the choice and the planner's check says what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext as _

from instructors.models import Instructor
from scheduling.models import Course
from scheduling.services.availability import instructors_for_session, reasons_by_instructor
from venues.models import Room

Reasons = dict[int, list[str]]


class AvailableFirstIterator(ModelChoiceIterator):
    """The queryset's instructors, the available ones (no reason) first, each group keeping
    the queryset's order."""

    field: PickerMixin

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        people = list(self.queryset)
        reasons = self.field.reasons
        if reasons is not None:
            # Stable sort: free ones (listed, no reason) first, each group in name order.
            people.sort(key=lambda p: p.pk not in reasons or bool(reasons[p.pk]))
        for person in people:
            yield self.choice(person)


class PickerMixin:
    reasons: Reasons | None = None
    empty_label: str | None
    widget: forms.Widget

    def set_reasons(self, reasons: Reasons | None) -> None:
        self.reasons = reasons
        self.widget.reasons = reasons  # type: ignore[attr-defined]

    def label_from_instance(self, obj: Instructor) -> str:
        why = (self.reasons or {}).get(obj.pk)
        if self.reasons is not None and why:
            return _("%(name)s — not available: %(why)s") % {
                "name": obj.display_name,
                "why": " ".join(why),
            }
        return obj.display_name


class ReasonsWidgetMixin:
    """Options of unavailable instructors are disabled, unless already chosen."""

    reasons: Reasons | None = None

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(  # type: ignore[misc]
            name, value, label, selected, index, subindex, attrs
        )
        pk = getattr(value, "value", value)
        if self.reasons is not None and pk not in ("", None) and self.reasons.get(int(pk)):
            option["attrs"] = {**option["attrs"], "class": "picker-option--unavailable"}
            if not selected:
                option["attrs"]["disabled"] = True
        return option


class PickerSelect(ReasonsWidgetMixin, forms.Select):
    pass


class PickerCheckboxes(ReasonsWidgetMixin, forms.CheckboxSelectMultiple):
    pass


class InstructorPickerField(PickerMixin, forms.ModelChoiceField):
    iterator = AvailableFirstIterator
    widget = PickerSelect


class InstructorCheckboxesField(PickerMixin, forms.ModelMultipleChoiceField):
    iterator = AvailableFirstIterator
    widget = PickerCheckboxes


def picker_reasons(
    *,
    course: Course,
    blocks: Sequence[tuple[Any, Any]],
    time_zone: str,
    rooms: Sequence[Room | None] = (),
    session_id: int | None = None,
) -> Reasons:
    """pk → why each active instructor cannot teach these blocks (empty: available)."""
    return reasons_by_instructor(
        instructors_for_session(
            course=course, blocks=blocks, time_zone=time_zone, rooms=rooms, session_id=session_id
        )
    )
