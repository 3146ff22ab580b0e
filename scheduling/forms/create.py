"""Creating a session: blocks (one-off or weekly), rooms, instructors, and the plan check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.forms.fields import (
    DatedBlockForm,
    DateInput,
    HostAccountChoiceField,
    RoomChoiceField,
    TimeInput,
    active_instructors,
    bookable_rooms,
    default_time_zone,
    time_zone_choices,
    validate_date_range,
)
from scheduling.forms.pickers import (
    InstructorCheckboxesField,
    InstructorPickerField,
    picker_reasons,
)
from scheduling.forms.prefill import filled_in
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    SessionStatus,
)
from scheduling.services import (
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    SessionInput,
    weekly_block_times,
)
from scheduling.services.local_times import first_room_site
from scheduling.services.recurrence import MAX_OCCURRENCES
from tms.exceptions import DomainError
from venues.models import MAX_CAPACITY, HostAccount, Room, Site


class BlockForm(DatedBlockForm):
    """One dated block: a day, a local start and end, and (in a room session) a room."""

    room = RoomChoiceField(
        label=_("Room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label=_("Choose a room"),
    )

    def __init__(self, *args: Any, rooms: QuerySet[Room] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms if rooms is not None else bookable_rooms()


class BaseBlockFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # One room query for every row of the formset.
        self.rooms = bookable_rooms()
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"rooms": self.rooms}

    @property
    def filled_forms(self) -> list[tuple[int, BlockForm]]:
        """(index, form) of the rows the user filled in (empty added rows are ignored)."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.has_changed() and getattr(form, "cleaned_data", None)
        ]


# Every row may be left empty or removed (rows are added and removed in the browser);
# `SessionPlan` requires at least one filled row.
BlockFormSet = formset_factory(
    BlockForm, formset=BaseBlockFormSet, extra=1, max_num=60, absolute_max=60
)


def session_zone_choices() -> list[tuple[str, str]]:
    return [("", _("The room's site zone")), *time_zone_choices()]


class ScheduleKind:
    DATES = "dates"
    WEEKLY = "weekly"
    CHOICES = [(DATES, _("Specific dates")), (WEEKLY, _("Weekly repeat"))]


class SessionForm(forms.Form):
    """The session's settings, its weekly repeat (if chosen), its room or host account and its
    instructors. Dated blocks come from `BlockFormSet`; `SessionPlan` puts them together."""

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), empty_label=_("Choose a course")
    )
    delivery_mode = forms.ChoiceField(
        label=_("Delivery mode"),
        choices=DeliveryMode.choices,
        initial=DeliveryMode.ILT,
        widget=forms.RadioSelect,
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("Seats offered. The room or host account may lower it."),
    )
    min_attendees = forms.IntegerField(
        label=_("Minimum attendees"),
        min_value=0,
        max_value=MAX_CAPACITY,
        initial=0,
        required=False,
        help_text=_("Below this the session may be cancelled."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=session_zone_choices,
        required=False,
        help_text=_(
            "Dates and times below are wall-clock times in this zone. By default, the zone of "
            "the first block's room; a video call takes your own zone, if you chose one."
        ),
    )
    schedule = forms.ChoiceField(
        label=_("Schedule"),
        choices=ScheduleKind.CHOICES,
        initial=ScheduleKind.DATES,
        widget=forms.RadioSelect,
    )
    weekly_first_day = forms.DateField(
        label=_("First day"), required=False, widget=DateInput(), validators=[validate_date_range]
    )
    weekly_starts = forms.TimeField(label=_("Start"), required=False, widget=TimeInput())
    weekly_ends = forms.TimeField(label=_("End"), required=False, widget=TimeInput())
    weekly_occurrences = forms.IntegerField(
        label=_("Occurrences"), min_value=1, max_value=MAX_OCCURRENCES, required=False, initial=6
    )
    weekly_room = RoomChoiceField(
        label=_("Room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label=_("Choose a room"),
    )
    host_account = HostAccountChoiceField(
        label=_("Host account"),
        queryset=HostAccount.objects.none(),
        required=False,
        empty_label=_("Choose a host account"),
        help_text=_("The virtual-classroom licence that hosts the call."),
    )
    join_url = forms.URLField(
        label=_("Join link"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for host accounts whose links are entered by hand."),
    )
    # Available instructors first, the others disabled with the reason, once the blocks are
    # known (`SessionPlan.annotate_pickers`).
    lead = InstructorPickerField(
        label=_("Lead instructor"),
        queryset=Instructor.objects.none(),
        required=False,
        empty_label=_("None yet"),
    )
    co_facilitators = InstructorCheckboxesField(
        label=_("Co-facilitators"),
        queryset=Instructor.objects.none(),
        required=False,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses.filter(active=True)
        self.fields["weekly_room"].queryset = bookable_rooms()
        self.fields["host_account"].queryset = HostAccount.objects.filter(active=True)
        self.fields["lead"].queryset = active_instructors()
        self.fields["co_facilitators"].queryset = active_instructors()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("schedule") == ScheduleKind.WEEKLY:
            for name in ("weekly_first_day", "weekly_starts", "weekly_ends", "weekly_occurrences"):
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("Required for a weekly repeat."))
            starts, ends = data.get("weekly_starts"), data.get("weekly_ends")
            if starts and ends and ends <= starts:
                self.add_error("weekly_ends", _("The block must end after it starts."))
        lead, co = data.get("lead"), data.get("co_facilitators") or []
        if lead is not None and lead in co:
            self.add_error("co_facilitators", _("The lead instructor is already assigned."))
        capacity, minimum = data.get("capacity"), data.get("min_attendees")
        if capacity and minimum and minimum > capacity:
            self.add_error("min_attendees", _("The minimum cannot exceed the capacity."))
        return data


@dataclass
class SectionErrors:
    schedule: list[str]
    instructors: list[str]
    general: list[str]


class SessionPlan:
    """The create form: `SessionForm` + the dated blocks, turned into a `SessionInput`.

    Left at "the room's site zone", the session takes the zone of its first room's site
    (`first_room_site`); without a room (a video call) it takes `fallback_zone` (the
    coordinator's own zone, if they chose one) or the zone most sites use.
    """

    def __init__(
        self,
        data: Any = None,
        *,
        courses: QuerySet[Course],
        fallback_zone: str | None = None,
        initial: dict[str, Any] | None = None,
        block_rows: list[dict[str, Any]] | None = None,
    ) -> None:
        # `initial`, `block_rows`: a form opened from a link (`prefill.new_session_initial`).
        self.form = SessionForm(data, courses=courses, initial=initial)
        self.blocks = BlockFormSet(data, prefix="blocks", initial=block_rows or None)
        self._courses = courses
        self._link = (initial or {}, block_rows or []) if data is None else None
        self.fallback_zone = fallback_zone
        self.sections = SectionErrors([], [], [])
        self.conflicts: list[dict[str, Any]] = []
        self.zone = ""
        self.zone_site: Site | None = None  # the site the zone was taken from, if any
        self._valid: bool | None = None

    # -- validation ---------------------------------------------------------------------------

    @property
    def weekly(self) -> bool:
        return self.form.cleaned_data.get("schedule") == ScheduleKind.WEEKLY

    def is_valid(self) -> bool:
        if self._valid is not None:
            return self._valid
        form_ok = self.form.is_valid()
        if self.weekly:
            blocks_ok = True  # the dated rows are ignored (and hidden) for a weekly repeat
        else:
            blocks_ok = self.blocks.is_valid()
            if blocks_ok and not self.blocks.filled_forms:
                self.sections.schedule.append(str(_("Add at least one block.")))
                blocks_ok = False
        self._valid = form_ok and blocks_ok
        if self._valid:
            self.zone = self._resolve_zone()
            try:
                blocks = self._build_blocks()
            except DomainError as error:
                self.add_domain_error(error)
                blocks = None
            self._valid = blocks is not None
            self._proposed_blocks = blocks or []
        return self._valid

    def _rooms(self) -> list[Room | None]:
        data = self.form.cleaned_data
        if data["delivery_mode"] != DeliveryMode.ILT:
            return []
        if self.weekly:
            return [data.get("weekly_room")]
        return [row.cleaned_data.get("room") for _index, row in self.blocks.filled_forms]

    def _resolve_zone(self) -> str:
        chosen = self.form.cleaned_data.get("time_zone")
        if chosen:
            return str(chosen)
        self.zone_site = first_room_site(self._rooms())
        if self.zone_site is not None:
            return self.zone_site.time_zone
        return self.fallback_zone or default_time_zone()

    def _build_blocks(self) -> list[ProposedBlock] | None:
        """The blocks as instants in the session's zone; None when a row's time does not
        exist there (the error is on the row)."""
        data = self.form.cleaned_data
        ilt = data["delivery_mode"] == DeliveryMode.ILT
        if self.weekly:
            room = data.get("weekly_room") if ilt else None
            times = weekly_block_times(
                first_day=data["weekly_first_day"],
                starts=data["weekly_starts"],
                ends=data["weekly_ends"],
                occurrences=data["weekly_occurrences"],
                time_zone=self.zone,
            )
            return [ProposedBlock(s, e, room, index=i) for i, (s, e) in enumerate(times)]
        rows = self.blocks.filled_forms
        blocks: list[ProposedBlock] = []
        for index, row in rows:
            room = row.cleaned_data.get("room") if ilt else None
            times = row.instants_in(self.zone)
            if times is not None:
                blocks.append(ProposedBlock(*times, room, index=index))
        return blocks if len(blocks) == len(rows) else None

    # -- service inputs ----------------------------------------------------------------------

    def _instructors(self) -> list[ProposedInstructor]:
        data = self.form.cleaned_data
        people = []
        if data.get("lead"):
            people.append(ProposedInstructor(data["lead"], AssignmentRole.LEAD))
        people.extend(
            ProposedInstructor(person, AssignmentRole.CO_FACILITATOR)
            for person in data.get("co_facilitators") or []
        )
        return people

    def to_input(self, *, status: str = SessionStatus.DRAFT) -> SessionInput:
        """Call after `is_valid()`."""
        data = self.form.cleaned_data
        vilt = data["delivery_mode"] == DeliveryMode.VILT
        return SessionInput(
            course=data["course"],
            delivery_mode=data["delivery_mode"],
            capacity=data["capacity"],
            min_attendees=data.get("min_attendees") or 0,
            time_zone=self.zone,
            blocks=self._proposed_blocks,
            instructors=self._instructors(),
            host_account=data.get("host_account") if vilt else None,
            join_url=(data.get("join_url") or "") if vilt else "",
            notes=data.get("notes") or "",
            status=status,
        )

    def to_proposal(self) -> Proposal:
        return self.to_input().proposal()

    def annotate_pickers(self) -> None:
        """Order the instructor pickers for the blocks in the form (available first, the
        others disabled with the reason). Call after `is_valid()`; without valid blocks and a
        course the pickers stay in name order."""
        plan: SessionPlan = self
        if self._link is not None:
            # A form opened from a link shows initial values: read them as a sent form would
            # be, without showing its errors.
            if not self._link[1]:
                return
            plan = SessionPlan(
                filled_in(*self._link), courses=self._courses, fallback_zone=self.fallback_zone
            )
        if not plan.is_valid() or not plan._proposed_blocks:
            return
        reasons = picker_reasons(
            course=plan.form.cleaned_data["course"],
            blocks=[(b.starts_at, b.ends_at) for b in plan._proposed_blocks],
            time_zone=plan.zone,
            rooms=[b.room for b in plan._proposed_blocks],
        )
        self.form.fields["lead"].set_reasons(reasons)
        self.form.fields["co_facilitators"].set_reasons(reasons)

    # -- errors from the services ----------------------------------------------------------

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal next to the fields it names."""
        self.conflicts = list(error.conflicts)
        placed = False
        for field, messages in (error.fields or {}).items():
            for message in messages:
                placed = self.add_field_error(field, message) or placed
        if not placed:
            self.sections.general.append(error.message)

    def add_field_error(self, field: str, message: str) -> bool:
        """Attach `message` to the input named by a service field path; False if unplaced."""
        form = self.form
        weekly = self.weekly if hasattr(form, "cleaned_data") else False
        if field.startswith("blocks["):
            index_text, _sep, rest = field[len("blocks[") :].partition("]")
            sub = rest.lstrip(".")
            if weekly:
                target = "weekly_room" if sub == "room" else "weekly_first_day"
                if index_text.isdigit() and sub != "room":
                    message = _("Occurrence %(n)s: %(msg)s") % {
                        "n": int(index_text) + 1,
                        "msg": message,
                    }
                if message not in form.errors.get(target, []):
                    form.add_error(target, message)
                return True
            if index_text.isdigit() and int(index_text) < len(self.blocks.forms):
                row = self.blocks.forms[int(index_text)]
                row.add_error("room" if sub == "room" else None, message)
                return True
            self.sections.schedule.append(message)
            return True
        # Field names used by weekly_block_times() and session_create().
        mapping = {
            "starts": "weekly_starts",
            "ends": "weekly_ends",
            "occurrences": "weekly_occurrences",
        }
        if field == "blocks":
            self.sections.schedule.append(message)
            return True
        if field == "instructors":
            self.sections.instructors.append(message)
            return True
        target = mapping.get(field, field)
        if target in form.fields:
            form.add_error(target, message)
            return True
        return False

    # -- for the template ------------------------------------------------------------------

    def error_summary(self) -> list[dict[str, str]]:
        """Every error, each linking to its input (an error summary at the top of the form)."""
        items: list[dict[str, str]] = []
        items += [{"text": m, "anchor": "details"} for m in self.sections.general]
        items += [{"text": m, "anchor": "details"} for m in self.form.non_field_errors()]
        for name, errors in self.form.errors.items():
            if name == "__all__":
                continue
            field = self.form[name]
            anchor = field.auto_id if not field.field.widget.use_fieldset else f"{field.auto_id}_0"
            items += [{"text": f"{field.label}: {e}", "anchor": anchor} for e in errors]
        items += [{"text": m, "anchor": "schedule-section"} for m in self.sections.schedule]
        if not (hasattr(self.form, "cleaned_data") and self.weekly):
            for index, row in enumerate(self.blocks.forms):
                for name, errors in row.errors.items():
                    label = _("Block %(n)s") % {"n": index + 1}
                    anchor = row[name].auto_id if name != "__all__" else row["date"].auto_id
                    items += [{"text": f"{label}: {e}", "anchor": anchor} for e in errors]
            items += [
                {"text": str(e), "anchor": "schedule-section"}
                for e in self.blocks.non_form_errors()
            ]
        items += [{"text": m, "anchor": "instructors-section"} for m in self.sections.instructors]
        return items
