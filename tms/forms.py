"""Forms shared by every app, and the signed-in user's own settings."""

from __future__ import annotations

import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from tms.validators import known_time_zones


@functools.cache
def time_zone_choices() -> list[tuple[str, str]]:
    """IANA zones for a select (built once per process: forms call it on every render)."""
    names = sorted(
        name
        for name in known_time_zones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix", "right/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class SettingsForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Your time zone"),
        choices=time_zone_choices,
        help_text=_(
            "Times in your emails, reminders and calendar invites, and on these pages, are shown "
            "in this zone."
        ),
    )
