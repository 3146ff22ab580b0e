"""Forms of the attendance page: one learner's mark in one block, "all present", sign-off."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.models import AttendanceStatus
from attendance.services.marking import NOTES_MAX_LENGTH, REASON_MAX_LENGTH


class MarkForm(forms.Form):
    status = forms.ChoiceField(
        choices=AttendanceStatus.choices,
        error_messages={"required": _("Choose present, late, left early, absent or excused.")},
    )
    minutes_attended = forms.IntegerField(required=False, min_value=0, max_value=100_000)
    notes = forms.CharField(required=False, max_length=NOTES_MAX_LENGTH, strip=True)
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH, strip=True)


class AllPresentForm(forms.Form):
    reason = forms.CharField(required=False, max_length=REASON_MAX_LENGTH, strip=True)


class SignOffForm(forms.Form):
    absent_unmarked = forms.BooleanField(
        required=False, label=_("Count everyone still unmarked as absent")
    )
