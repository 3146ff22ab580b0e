"""Forms of the participant report pages: the upload, and saying who a participant is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from attendance.models import Registration
from attendance.services.participant_import import MAX_FILE_BYTES

REASON_MAX_LENGTH = 500
IGNORE = "ignore"


class ReportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Participant report"),
        help_text=_(
            "The CSV file Zoom (Reports → Usage → Participants) or Microsoft Teams (the "
            "meeting's Attendance tab → Download) exports. Times are read in the session's "
            "time zone unless the report names its own."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Needed once the session's attendance has been signed off."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, signed_off: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not signed_off:
            del self.fields["reason"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 5 MB)."))
        return upload


def _learner_label(registration: Registration) -> str:
    learner = registration.learner
    name = learner.get_full_name() or learner.get_username()
    return f"{name} ({learner.email})" if learner.email else name


class EntryResolveForm(forms.Form):
    """Who a participant is: one of the session's confirmed learners, or nobody."""

    registration = forms.ChoiceField(label=_("Who is this?"))
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(),
    )

    def __init__(
        self,
        *args: Any,
        registrations: Iterable[Registration],
        signed_off: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["registration"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover - declared above
            raise TypeError(field)
        field.choices = [
            ("", _("Choose a learner…")),
            *[(str(r.pk), _learner_label(r)) for r in registrations],
            (IGNORE, _("Not a learner: ignore")),
        ]
        if not signed_off:
            del self.fields["reason"]

    def chosen_registration(self) -> int | None:
        value = self.cleaned_data["registration"]
        return None if value == IGNORE else int(value)
