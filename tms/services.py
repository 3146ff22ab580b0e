"""Writes to what every app shares: the signed-in user's own settings."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tms.exceptions import RuleViolation
from tms.models import Profile
from tms.validators import validate_time_zone


def profile_set_time_zone(*, user: User, time_zone: str) -> Profile:
    """The zone the user reads times in (emails, reminders, invites, pages)."""
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        message = " ".join(error.messages) or _("Unknown time zone.")
        raise RuleViolation(message, fields={"time_zone": [message]}) from None
    with transaction.atomic(durable=True):
        profile, _created = Profile.objects.update_or_create(
            user=user, defaults={"time_zone": time_zone}
        )
    return profile


def profile_set_department_locked(*, user: User, department: str) -> Profile:
    """The department compliance requirements may target; in the caller's transaction (the
    learner account services hold the user's row)."""
    profile, _created = Profile.objects.update_or_create(
        user=user,
        defaults={"department": department.replace("\x00", "").strip()},
        create_defaults={"department": department.replace("\x00", "").strip(), "time_zone": ""},
    )
    return profile
