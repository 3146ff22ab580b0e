"""Forms of the roster's coordinator actions (choose a learner to promote, message everyone):
shape only; the rules are in attendance.services.chosen_promotion and .roster_messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.models import RosterAudience
from attendance.services.chosen_promotion import REASON_MAX_LENGTH
from attendance.services.roster_messages import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH


class ChosenPromotionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("Give a reason for choosing this learner over the order of the waitlist.")
        },
    )


class RosterMessageForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("Send to"),
        choices=RosterAudience.choices,
        initial=RosterAudience.CONFIRMED,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX_LENGTH)
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Each learner's email adds the session's dates in their own time zone."),
    )
