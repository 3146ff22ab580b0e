"""The timeline's move form: a block's new time and room, and the session's instructors.

The time and room fields are the session page's (`BlockChangeForm`); the lead and the
co-facilitators are the session form's pickers (qualified and free for the session's blocks,
with this block at its new time, first; the others disabled with the reason).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.forms.edit import BlockChangeForm
from scheduling.forms.pickers import (
    InstructorCheckboxesField,
    InstructorPickerField,
    picker_reasons,
)
from scheduling.models import AssignmentRole, BlockStatus, Session, SessionBlock
from scheduling.services.block_moves import Staffing


class BlockMoveForm(BlockChangeForm):
    lead = InstructorPickerField(
        label=_("Lead instructor"),
        queryset=Instructor.objects.none(),
        required=False,
        empty_label=_("None"),
    )
    co_facilitators = InstructorCheckboxesField(
        label=_("Co-facilitators"), queryset=Instructor.objects.none(), required=False
    )
    # Sent by the move form (which shows the pickers); a form without it keeps the instructors.
    change_instructors = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, session: Session, block: SessionBlock, **kwargs: Any) -> None:
        assignments = list(session.assignments.all())
        super().__init__(*args, session=session, block=block, **kwargs)
        self.block = block
        self.initial.update(
            {
                "lead": next(
                    (a.instructor_id for a in assignments if a.role == AssignmentRole.LEAD), None
                ),
                "co_facilitators": [
                    a.instructor_id for a in assignments if a.role == AssignmentRole.CO_FACILITATOR
                ],
                "change_instructors": True,
            }
        )
        # Someone assigned stays choosable even if no longer active (the check says why).
        people = (
            Instructor.objects.select_related("user")
            .filter(Q(active=True) | Q(pk__in=[a.instructor_id for a in assignments]))
            .order_by("user__last_name", "user__username")
        )
        self._lead_field().queryset = people
        self._co_field().queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lead, co = data.get("lead"), data.get("co_facilitators") or []
        if lead is not None and lead in co:
            self.add_error("co_facilitators", _("The lead instructor is already assigned."))
        return data

    def staffing(self) -> Staffing | None:
        """The instructors chosen (None: the form did not offer them; keep them)."""
        if not self.cleaned_data.get("change_instructors"):
            return None
        return Staffing(
            lead=self.cleaned_data.get("lead"),
            co_facilitators=list(self.cleaned_data.get("co_facilitators") or []),
        )

    def annotate_pickers(self) -> None:
        """Order the pickers for the session's active blocks with this one where the form
        puts it (its current place when the form is not valid)."""
        starts_at, ends_at, room = self.block.starts_at, self.block.ends_at, self.block.room
        if self.is_bound and self.is_valid():
            starts_at, ends_at = self.times()
            room = self.cleaned_data.get("room") or room
        blocks, rooms = [], []
        for b in self.session.blocks.all():
            if b.status != BlockStatus.ACTIVE:
                continue
            if b.pk == self.block.pk:
                blocks.append((starts_at, ends_at))
                rooms.append(room)
            else:
                blocks.append((b.starts_at, b.ends_at))
                rooms.append(b.room)
        reasons = picker_reasons(
            course=self.session.course,
            blocks=blocks,
            time_zone=self.session.time_zone,
            rooms=rooms,
            session_id=self.session.pk,
        )
        self._lead_field().set_reasons(reasons)
        self._co_field().set_reasons(reasons)

    def _lead_field(self) -> InstructorPickerField:
        return cast(InstructorPickerField, self.fields["lead"])

    def _co_field(self) -> InstructorCheckboxesField:
        return cast(InstructorCheckboxesField, self.fields["co_facilitators"])
