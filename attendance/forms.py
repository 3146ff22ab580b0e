"""Forms for the registration pages: they check the *shape* of input only.

Every rule (window open, capacity, clashes, prerequisites, who may move whom) stays in
`attendance.services`; a refusal comes back as a `DomainError` and the page shows its message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from attendance.learner_accounts import learner_list, learner_search
from scheduling.filters import SessionFilter
from scheduling.forms import DateInput, delivery_mode_filter
from scheduling.models import Course, Session
from venues.models import Site

REASON_MAX = 500
# A pasted or uploaded list is enrolled in the request, one short transaction per learner.
BULK_MAX_EMAILS = 500
BULK_MAX_FILE_BYTES = 512 * 1024
SEPARATORS = re.compile(r"[\s,;]+")
# A typed name enrols only when it matches one learner; this many are named otherwise.
NAME_MATCHES = 5


class CatalogFilterForm(forms.Form):
    """Search and filters of the learner catalog; dates are days in the viewer's zone."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Course or code")}),
    )
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), required=False, empty_label=_("Any")
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    delivery_mode = delivery_mode_filter()
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("Any")
    )

    def __init__(self, *args: Any, courses: QuerySet[Course], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses.filter(active=True)
        self.fields["site"].queryset = Site.objects.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, sessions: QuerySet[Session], zone: zoneinfo.ZoneInfo) -> QuerySet[Session]:
        """Narrow an already permission-filtered queryset; call after `is_valid()`.

        Course, site and mode go through the API's `SessionFilter`, so both interfaces filter
        alike; the dates keep sessions that start on the chosen days.
        """
        data = self.cleaned_data
        params = {
            name: getattr(value, "pk", value)
            for name in ("course", "site", "delivery_mode")
            if (value := data.get(name)) not in (None, "")
        }
        sessions = SessionFilter(params, queryset=sessions).qs
        if data.get("date_from"):
            start = dt.datetime.combine(data["date_from"], dt.time(0), tzinfo=zone)
            sessions = sessions.filter(starts_at__gte=start)
        if data.get("date_to"):
            day_after = data["date_to"] + dt.timedelta(days=1)
            sessions = sessions.filter(
                starts_at__lt=dt.datetime.combine(day_after, dt.time(0), tzinfo=zone)
            )
        if text := data.get("q", "").strip():
            sessions = sessions.filter(
                Q(course__title__icontains=text)
                | Q(course__code__icontains=text)
                | Q(course__description__icontains=text)
            )
        return sessions


class CancelForm(forms.Form):
    """Cancel a place, with a reason (the service requires one for someone else's place)."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WaitlistMoveForm(forms.Form):
    to_position = forms.IntegerField(
        label=_("New position"),
        min_value=1,
        max_value=100_000,
        error_messages={"required": _("Choose the new position on the waitlist.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason for moving a learner.")},
    )

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for moving a learner."))
        return reason


class EnrolForm(forms.Form):
    """Enrol one learner: picked from the suggestions (`learner_id`, radio choices the picker
    adds to the form), or typed: an email (the oldest account with that address, as in bulk
    enrolment) or a name matching exactly one active learner. Whether the account may be
    enrolled (the learner role) is the service's rule."""

    email = forms.CharField(
        label=_("Learner's name or email"),
        max_length=254,
        help_text=_("Type a name or an email and pick from the matches, or give the full address."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse_lazy("manage:learner-suggest"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#enrol-suggestions",
                "hx-sync": "this:replace",
            }
        ),
        error_messages={"required": _("Type the learner's name or email.")},
    )
    learner_id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        users = get_user_model().objects.order_by("pk")
        if data.get("learner_id"):
            self.learner = users.filter(pk=data["learner_id"]).first()
            if self.learner is None:
                raise forms.ValidationError(_("That learner no longer exists."))
            return data
        text = data["email"].strip()
        if "@" in text:
            try:
                validate_email(text)
            except forms.ValidationError:
                self.add_error("email", _("Enter a valid email address."))
                return data
            self.learner = users.filter(email__iexact=text).first()
            if self.learner is None:
                self.add_error(
                    "email",
                    _(
                        "No account uses %(email)s. Check the address, or use bulk enrolment "
                        "to see which addresses are unknown."
                    )
                    % {"email": text},
                )
            return data
        matches = list(learner_search(learner_list().filter(is_active=True), text)[:NAME_MATCHES])
        if len(matches) == 1:
            self.learner = matches[0]
        elif not matches:
            self.add_error("email", _("No active learner matches “%(text)s”.") % {"text": text})
        else:
            names = ", ".join(
                f"{u.get_full_name() or u.get_username()} ({u.email})" for u in matches
            )
            self.add_error(
                "email",
                _("Several learners match “%(text)s”: %(names)s. Pick one or type the email.")
                % {"text": text, "names": names},
            )
        return data


class BulkEnrolForm(forms.Form):
    """Paste addresses, upload a list, or both. Nothing is filtered out here: anything that is
    not an account's email is reported back as unknown by the service."""

    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        help_text=_("One per line, or separated by commas, semicolons or spaces."),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label=_("Or upload a list"),
        required=False,
        help_text=_(
            "A .txt or .csv file. In a CSV file with a header row, the column named "
            "“email” is used."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.csv,text/plain,text/csv"}),
    )

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        if upload.size > BULK_MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 512 KB)."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file must be plain text (UTF-8).")) from None
        if "\x00" in text:  # a binary file; PostgreSQL cannot even be sent a NUL character
            raise forms.ValidationError(_("The file must be plain text (UTF-8)."))
        return addresses_in_file(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        pasted = [e for e in SEPARATORS.split(data.get("emails") or "") if e]
        found = pasted + list(data.get("file") or [])
        if not found:
            raise forms.ValidationError(_("Paste at least one email address or upload a list."))
        if len(found) > BULK_MAX_EMAILS:
            raise forms.ValidationError(
                _("At most %(max)d addresses at once; this list has %(n)d."),
                params={"max": BULK_MAX_EMAILS, "n": len(found)},
            )
        data["addresses"] = found
        return data


def addresses_in_file(text: str) -> list[str]:
    """Every entry of an uploaded list: the "email" column of a CSV with a header, else every
    token (so a malformed line is reported as unknown rather than skipped)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    try:
        dialect: Any = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
    except csv.Error:
        dialect = None
    if dialect is not None:
        header = [cell.strip().lower() for cell in next(csv.reader([lines[0]], dialect))]
        if "email" in header:
            column = header.index("email")
            rows = csv.reader(io.StringIO("\n".join(lines[1:])), dialect)
            return [row[column].strip() for row in rows if len(row) > column and row[column]]
    return [e for e in SEPARATORS.split(text) if e]
