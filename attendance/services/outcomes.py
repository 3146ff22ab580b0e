"""Outcomes of attending, apart from enrolment: recording one never frees a seat.

A `Completion` says what came of a registration once its session is over. Attendance per
block and sign-off (which will decide completions by the course's rule) build on it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Completion, CompletionStatus, Registration, RegistrationStatus
from tms.exceptions import InvalidTransition, RuleViolation


def completion_record(
    *,
    registration_id: int,
    status: str,
    recorded_by: User | None,
    now: dt.datetime | None = None,
) -> Completion:
    """Record (or correct) whether a confirmed learner completed a session that has ended.

    The registration keeps its enrolment status: its seat stays held and counted."""
    now = now or timezone.now()
    if status not in CompletionStatus.values:
        raise RuleViolation(
            _("Choose completed or not completed."), fields={"status": [_("Unknown outcome.")]}
        )
    with transaction.atomic(durable=True):
        registration = (
            Registration.objects.select_for_update()
            .select_related("session")
            .get(pk=registration_id)
        )
        if registration.status != RegistrationStatus.CONFIRMED:
            raise InvalidTransition(_("Only a confirmed seat has an outcome."))
        ends_at = registration.session.ends_at
        if ends_at is None or ends_at > now:
            raise InvalidTransition(_("The session has not ended yet."))
        completion, _created = Completion.objects.update_or_create(
            registration=registration,
            defaults={"status": status, "recorded_at": now, "recorded_by": recorded_by},
        )
    return completion
