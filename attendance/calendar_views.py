""" "Add to calendar": a learner's registration as an iCalendar download (METHOD:PUBLISH) with
the same UIDs, times and places as the emailed invites (`scheduling.invite_facts.invite_events`), so
an imported copy and an emailed one are the same events. The join link only for a confirmed
seat."""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from attendance.models import Registration, RegistrationStatus
from notifications.ical import invite
from scheduling.invite_facts import invite_events, session_facts
from tms.timezones import reader_zone
from tms.views import policy_required


@require_GET
@policy_required("registration", "list")
def registration_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The learner's own registration (any other is not found), unless cancelled."""
    registration = (
        Registration.objects.select_related(
            "learner__profile",
            "learner__instructor_profile",
            "session__course",
            "session__host_account",
        )
        .filter(pk=pk, learner_id=request.user.pk)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )
    if registration is None:
        raise Http404(_("No such registration."))
    session = registration.session
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    zone = reader_zone(registration.learner, session.time_zone)
    facts = session_facts(session, zone=zone, show_join_link=confirmed)
    learner = registration.learner
    text = invite(
        method="PUBLISH",
        events=invite_events(facts, include_join_link=confirmed, owner=f"r{registration.pk}"),
        sequence=session.schedule_version,
        time_zone=session.time_zone,
        attendee_email=learner.email,
        attendee_name=learner.get_full_name(),
        now=timezone.now(),
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{session.course.code}-{session.pk}.ics")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
