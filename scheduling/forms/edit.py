"""Editing a saved session: block changes, settings, status transitions, instructors."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from instructors.models import Instructor
from scheduling.forms.fields import (
    DatedBlockForm,
    RoomChoiceField,
    active_instructors,
    bookable_rooms,
    validate_date_range,
)
from scheduling.forms.pickers import InstructorPickerField, picker_reasons
from scheduling.models import (
    AssignmentRole,
    BlockStatus,
    DeliveryMode,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.services import (
    BlockChange,
)
from tms.exceptions import DomainError
from tms.timezones import NonexistentLocalTime, local_instant
from venues.models import MAX_CAPACITY, Room


class BlockChangeForm(DatedBlockForm):
    """Move and/or re-room one block; the time is wall-clock time in the session's zone."""

    room = RoomChoiceField(
        label=_("Room"), queryset=Room.objects.none(), required=False, empty_label=_("No room")
    )

    def __init__(
        self, *args: Any, session: Session, block: SessionBlock | None = None, **kwargs: Any
    ) -> None:
        self.session = session
        self.zone = session.time_zone
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

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        """Call after `is_valid()`: the instants read in the session's zone by `clean()`."""
        if self.instants is None:
            raise ValueError("times() needs a valid form")
        return self.instants

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

    default_validators = [validate_date_range]

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(dt.UTC):
            parsed = super().to_python(value)
        return parsed.replace(tzinfo=None) if parsed is not None else None


class SessionSettingsForm(forms.Form):
    """Settings that do not move bookings; registration times are wall-clock in the session's
    zone."""

    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=MAX_CAPACITY)
    min_attendees = forms.IntegerField(
        label=_("Minimum attendees"), min_value=0, max_value=MAX_CAPACITY
    )
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

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Registration must close after it opens."))
        self._instants: dict[str, dt.datetime | None] = {}
        for name, value in (("registration_opens_at", opens), ("registration_closes_at", closes)):
            try:
                self._instants[name] = (
                    local_instant(value.date(), value.time(), self.session.time_zone)
                    if value
                    else None
                )
            except NonexistentLocalTime as error:
                self.add_error(name, error.message)
        capacity, minimum = data.get("capacity"), data.get("min_attendees")
        if capacity and minimum is not None and minimum > capacity:
            self.add_error("min_attendees", _("The minimum cannot exceed the capacity."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "capacity": data["capacity"],
            "min_attendees": data["min_attendees"],
            "registration_opens_at": self._instants["registration_opens_at"],
            "registration_closes_at": self._instants["registration_closes_at"],
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
    instructor = InstructorPickerField(
        label=_("Instructor"), queryset=Instructor.objects.none(), empty_label=_("Choose")
    )
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices)

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        assigned = [a.instructor_id for a in session.assignments.all()]
        self.fields["instructor"].queryset = active_instructors().exclude(pk__in=assigned)
        if any(a.role == AssignmentRole.LEAD for a in session.assignments.all()):
            self.fields["role"].initial = AssignmentRole.CO_FACILITATOR
        else:
            self.fields["role"].initial = AssignmentRole.LEAD

    def annotate(self, *, now: dt.datetime) -> AssignInstructorForm:
        """Order the picker for the session's upcoming blocks (available first, the others
        disabled with the reason); the session's own bookings do not count."""
        upcoming = sorted(
            (
                b
                for b in self.session.blocks.all()
                if b.status == BlockStatus.ACTIVE and b.ends_at > now
            ),
            key=lambda b: b.starts_at,
        )
        if upcoming:
            self.fields["instructor"].set_reasons(
                picker_reasons(
                    course=self.session.course,
                    blocks=[(b.starts_at, b.ends_at) for b in upcoming],
                    time_zone=self.session.time_zone,
                    rooms=[b.room for b in upcoming],
                    session_id=self.session.pk,
                )
            )
        return self
