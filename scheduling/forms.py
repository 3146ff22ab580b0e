"""Forms for the scheduling pages: they check the *shape* of input and build service inputs.

Times are typed as local wall-clock time in the session's zone (a date and a start/end time)
and turned into aware datetimes here; every business rule stays in `scheduling.services`.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Count, QuerySet
from django.forms import formset_factory
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.filters import SessionFilter
from scheduling.models import (
    AssignmentRole,
    Course,
    DeliveryMode,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services import (
    BlockChange,
    Proposal,
    ProposedBlock,
    ProposedInstructor,
    SessionInput,
    weekly_block_times,
)
from tms.exceptions import DomainError
from venues.models import HostAccount, Room, RoomFeature, Site

# --- Time helpers -----------------------------------------------------------------------------


def local_datetime(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    """`day` at wall-clock `clock` in `zone`, as an aware datetime.

    A time skipped by a spring-forward gap moves forward (as the weekly series does); an
    ambiguous autumn time means its first occurrence.
    """
    tz = zoneinfo.ZoneInfo(zone)
    local = dt.datetime.combine(day, clock, tzinfo=tz)
    return local.astimezone(dt.UTC).astimezone(tz)


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix", "right/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def default_time_zone() -> str:
    """The zone most sites use (a sensible first choice), else the server's zone."""
    from django.conf import settings

    common = (
        Site.objects.values("time_zone").annotate(n=Count("pk")).order_by("-n", "time_zone").first()
    )
    return common["time_zone"] if common else settings.TIME_ZONE


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class RoomsBySiteIterator(ModelChoiceIterator):
    """Room options grouped by site (<optgroup>), so each label can stay short."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list[Any]] = {}
        for room in self.queryset:
            groups.setdefault(room.site.name, []).append(self.choice(room))
        yield from groups.items()


class RoomChoiceField(forms.ModelChoiceField):
    iterator = RoomsBySiteIterator

    def label_from_instance(self, obj: Room) -> str:
        return _("%(room)s · %(cap)s seats") % {"room": obj.name, "cap": obj.capacity}


class InstructorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Instructor) -> str:
        return obj.display_name


class InstructorMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Instructor) -> str:
        return obj.display_name


class HostAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: HostAccount) -> str:
        return _("%(name)s · up to %(limit)s participants") % {
            "name": obj.name,
            "limit": obj.participant_limit,
        }


def bookable_rooms() -> QuerySet[Room]:
    return Room.objects.select_related("site").filter(bookable=True).order_by("site__name", "name")


def active_instructors() -> QuerySet[Instructor]:
    return Instructor.objects.select_related("user").filter(active=True)


# --- Session list filters ------------------------------------------------------------------


class SessionFilterForm(forms.Form):
    """Filters for the session list; dates are days in the viewer's zone."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
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
    delivery_mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            ("", _("Any")),
            (DeliveryMode.ILT, _("In a room")),
            (DeliveryMode.VILT, _("Video call")),
        ],
        required=False,
    )

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


# --- Create a session -------------------------------------------------------------------------


class BlockForm(forms.Form):
    """One dated block: a day, a local start and end, and (in a room session) a room."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    starts = forms.TimeField(label=_("Start"), widget=TimeInput())
    ends = forms.TimeField(label=_("End"), widget=TimeInput())
    room = RoomChoiceField(
        label=_("Room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label=_("Choose a room"),
    )

    def __init__(self, *args: Any, rooms: QuerySet[Room] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms if rooms is not None else bookable_rooms()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The block must end after it starts."))
        return data


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
        max_value=10_000,
        help_text=_("Seats offered. The room or host account may lower it."),
    )
    min_attendees = forms.IntegerField(
        label=_("Minimum attendees"),
        min_value=0,
        max_value=10_000,
        initial=0,
        required=False,
        help_text=_("Below this the session may be cancelled."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Dates and times below are wall-clock times in this zone."),
    )
    schedule = forms.ChoiceField(
        label=_("Schedule"),
        choices=ScheduleKind.CHOICES,
        initial=ScheduleKind.DATES,
        widget=forms.RadioSelect,
    )
    weekly_first_day = forms.DateField(label=_("First day"), required=False, widget=DateInput())
    weekly_starts = forms.TimeField(label=_("Start"), required=False, widget=TimeInput())
    weekly_ends = forms.TimeField(label=_("End"), required=False, widget=TimeInput())
    weekly_occurrences = forms.IntegerField(
        label=_("Occurrences"), min_value=1, max_value=104, required=False, initial=6
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
    lead = InstructorChoiceField(
        label=_("Lead instructor"),
        queryset=Instructor.objects.none(),
        required=False,
        empty_label=_("None yet"),
    )
    co_facilitators = InstructorMultipleChoiceField(
        label=_("Co-facilitators"),
        queryset=Instructor.objects.none(),
        required=False,
        help_text=_("Hold Ctrl (⌘ on a Mac) to pick several."),
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
        self.fields["co_facilitators"].widget.attrs["size"] = 6

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
    """The create form: `SessionForm` + the dated blocks, turned into a `SessionInput`."""

    def __init__(self, data: Any = None, *, courses: QuerySet[Course]) -> None:
        initial = None if data is not None else {"time_zone": default_time_zone()}
        self.form = SessionForm(data, courses=courses, initial=initial)
        self.blocks = BlockFormSet(data, prefix="blocks")
        self.sections = SectionErrors([], [], [])
        self.conflicts: list[dict[str, Any]] = []
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
            try:
                self._proposed_blocks = self._build_blocks()
            except DomainError as error:
                self.add_domain_error(error)
                self._valid = False
        return self._valid

    def _build_blocks(self) -> list[ProposedBlock]:
        data = self.form.cleaned_data
        zone = data["time_zone"]
        ilt = data["delivery_mode"] == DeliveryMode.ILT
        if self.weekly:
            room = data.get("weekly_room") if ilt else None
            times = weekly_block_times(
                first_day=data["weekly_first_day"],
                starts=data["weekly_starts"],
                ends=data["weekly_ends"],
                occurrences=data["weekly_occurrences"],
                time_zone=zone,
            )
            return [ProposedBlock(s, e, room, index=i) for i, (s, e) in enumerate(times)]
        return [
            ProposedBlock(
                local_datetime(block.cleaned_data["date"], block.cleaned_data["starts"], zone),
                local_datetime(block.cleaned_data["date"], block.cleaned_data["ends"], zone),
                block.cleaned_data.get("room") if ilt else None,
                index=index,
            )
            for index, block in self.blocks.filled_forms
        ]

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
            time_zone=data["time_zone"],
            blocks=self._proposed_blocks,
            instructors=self._instructors(),
            host_account=data.get("host_account") if vilt else None,
            join_url=(data.get("join_url") or "") if vilt else "",
            notes=data.get("notes") or "",
            status=status,
        )

    def to_proposal(self) -> Proposal:
        return self.to_input().proposal()

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


# --- Edit an existing session ----------------------------------------------------------------


class BlockChangeForm(forms.Form):
    """Move and/or re-room one block; the time is wall-clock time in the session's zone."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    starts = forms.TimeField(label=_("Start"), widget=TimeInput())
    ends = forms.TimeField(label=_("End"), widget=TimeInput())
    room = RoomChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room")
    )

    def __init__(
        self, *args: Any, session: Session, block: SessionBlock | None = None, **kwargs: Any
    ) -> None:
        self.session = session
        if block is not None and "initial" not in kwargs:
            zone = zoneinfo.ZoneInfo(session.time_zone)
            start, end = block.starts_at.astimezone(zone), block.ends_at.astimezone(zone)
            kwargs["initial"] = {
                "date": start.date(),
                "starts": start.time(),
                "ends": end.time(),
                "room": block.room_id,
            }
        super().__init__(*args, **kwargs)
        if session.delivery_mode == DeliveryMode.ILT:
            self.fields["room"].queryset = bookable_rooms()
            self.fields["room"].required = True
            self.fields["room"].empty_label = _("Choose a room")
        else:
            del self.fields["room"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The block must end after it starts."))
        return data

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        data, zone = self.cleaned_data, self.session.time_zone
        return (
            local_datetime(data["date"], data["starts"], zone),
            local_datetime(data["date"], data["ends"], zone),
        )

    def to_change(self, block: SessionBlock) -> BlockChange:
        starts_at, ends_at = self.times()
        return BlockChange(
            block_id=block.pk,
            starts_at=starts_at,
            ends_at=ends_at,
            room=self.cleaned_data.get("room"),
        )

    def add_domain_error(self, error: DomainError) -> None:
        placed = False
        for field, messages in (error.fields or {}).items():
            target = {"starts_at": "date", "ends_at": "ends"}.get(field, field)
            if field.endswith(".room") and "room" in self.fields:
                target = "room"
            if target in self.fields:
                for message in messages:
                    self.add_error(target, message)
                placed = True
        if not placed or error.conflicts:
            self.add_error(None, error.message)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=SessionStatus.choices)
    reason = forms.CharField(required=False, max_length=500)


class WallClockDateTimeField(forms.DateTimeField):
    """A date and time typed as wall-clock time, returned naive: the form decides the zone.

    Django would read it in the server's zone, where a time inside that zone's DST gap does
    not exist; UTC has no gaps, so parse there and drop the zone.
    """

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(dt.UTC):
            parsed = super().to_python(value)
        return parsed.replace(tzinfo=None) if parsed is not None else None


class SessionSettingsForm(forms.Form):
    """Settings that do not move bookings; registration times are wall-clock in the session's
    zone."""

    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10_000)
    min_attendees = forms.IntegerField(label=_("Minimum attendees"), min_value=0, max_value=10_000)
    registration_opens_at = WallClockDateTimeField(
        label=_("Registration opens"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    registration_closes_at = WallClockDateTimeField(
        label=_("Registration closes"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        self.session = session
        self.zone = zoneinfo.ZoneInfo(session.time_zone)
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "capacity": session.capacity,
                "min_attendees": session.min_attendees,
                "registration_opens_at": self._local(session.registration_opens_at),
                "registration_closes_at": self._local(session.registration_closes_at),
                "notes": session.notes,
            }
        super().__init__(*args, **kwargs)
        for name in ("registration_opens_at", "registration_closes_at"):
            self.fields[name].help_text = _("Wall-clock time in %s.") % session.time_zone

    def _local(self, moment: dt.datetime | None) -> dt.datetime | None:
        return moment.astimezone(self.zone).replace(tzinfo=None) if moment else None

    def _aware(self, value: dt.datetime | None) -> dt.datetime | None:
        """A naive wall-clock reading, in the session's zone."""
        if value is None:
            return None
        return local_datetime(value.date(), value.time(), self.session.time_zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Registration must close after it opens."))
        capacity, minimum = data.get("capacity"), data.get("min_attendees")
        if capacity and minimum is not None and minimum > capacity:
            self.add_error("min_attendees", _("The minimum cannot exceed the capacity."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "capacity": data["capacity"],
            "min_attendees": data["min_attendees"],
            "registration_opens_at": self._aware(data.get("registration_opens_at")),
            "registration_closes_at": self._aware(data.get("registration_closes_at")),
            "notes": data.get("notes") or "",
        }

    def add_domain_error(self, error: DomainError) -> None:
        placed = False
        for field, messages in (error.fields or {}).items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class AssignInstructorForm(forms.Form):
    instructor = InstructorChoiceField(
        label=_("Instructor"), queryset=Instructor.objects.none(), empty_label=_("Choose")
    )
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices)

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assigned = [a.instructor_id for a in session.assignments.all()]
        self.fields["instructor"].queryset = active_instructors().exclude(pk__in=assigned)
        if any(a.role == AssignmentRole.LEAD for a in session.assignments.all()):
            self.fields["role"].initial = AssignmentRole.CO_FACILITATOR
        else:
            self.fields["role"].initial = AssignmentRole.LEAD


# --- Availability searches -------------------------------------------------------------------


class SlotForm(forms.Form):
    """One time slot, typed as wall-clock time in a zone."""

    date = forms.DateField(label=_("Date"), widget=DateInput())
    starts = forms.TimeField(label=_("Start"), widget=TimeInput())
    ends = forms.TimeField(label=_("End"), widget=TimeInput())
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", _("The end must be after the start."))
        return data

    def blocks(self) -> list[tuple[dt.datetime, dt.datetime]]:
        data = self.cleaned_data
        return [
            (
                local_datetime(data["date"], data["starts"], data["time_zone"]),
                local_datetime(data["date"], data["ends"], data["time_zone"]),
            )
        ]


class RoomSearchForm(SlotForm):
    min_capacity = forms.IntegerField(
        label=_("At least this many seats"), min_value=1, max_value=10_000, initial=1
    )
    features = forms.MultipleChoiceField(
        label=_("Features"),
        choices=RoomFeature.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.order_by("name"),
        required=False,
        empty_label=_("Any"),
    )


class InstructorSearchForm(SlotForm):
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), empty_label=_("Choose a course")
    )
    field_order: Iterable[str] = ["course", "date", "starts", "ends", "time_zone"]

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses.filter(active=True)


__all__ = [
    "AssignInstructorForm",
    "BlockChangeForm",
    "BlockFormSet",
    "InstructorSearchForm",
    "ReasonForm",
    "RoomSearchForm",
    "SessionFilterForm",
    "SessionPlan",
    "SessionSettingsForm",
    "TransitionForm",
    "local_datetime",
]
