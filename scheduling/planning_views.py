"""Planning pages: "find a slot for a session" (rooms and instructors free for every block,
and why the others are not) and "copy a session". Thin views: the rules are the planner's
(`services.availability`, `services.copying`), the writes the existing services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from instructors.models import Instructor
from scheduling import services
from scheduling.forms import default_time_zone
from scheduling.forms.planning import CopySessionForm, SessionSearch
from scheduling.forms.prefill import new_session_query
from scheduling.models import (
    EDITABLE_STATUSES,
    AssignmentRole,
    BlockStatus,
    DeliveryMode,
    Session,
    SessionBlock,
)
from scheduling.selectors import course_list_for, session_get_for
from scheduling.services.availability import Availability, session_availability
from scheduling.services.copying import CopyPlan, session_copy, session_copy_plan
from tms.exceptions import DomainError
from tms.timezones import preferred_zone
from tms.views import can, policy_required
from venues.models import Room


def _session(request: HttpRequest, pk: int) -> Session:
    try:
        return session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None


def _upcoming(session: Session, now: dt.datetime) -> list[SessionBlock]:
    return sorted(
        (b for b in session.blocks.all() if b.status == BlockStatus.ACTIVE and b.ends_at > now),
        key=lambda b: b.starts_at,
    )


def _session_id(query: QueryDict) -> int | None:
    value = query.get("session", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise Http404(_("No such session."))
    return int(value)


@dataclass
class Choices:
    """What the coordinator picked so far on the search page (a room, a lead)."""

    room: Room | None = None
    lead: Instructor | None = None


def _link_with(query: QueryDict, **changes: str) -> str:
    updated = query.copy()
    for name, value in changes.items():
        updated[name] = value
    return f"?{updated.urlencode()}"


@require_GET
@policy_required("availability", "instructors")
def session_slot_search(request: HttpRequest) -> HttpResponse:
    """Rooms and instructors for every block of a session, with the reason for each one left
    out. `?session=<id>`: the upcoming blocks of an existing session, whose own bookings do
    not count, with actions that change it; otherwise the blocks typed in the form, with
    actions that fill in a new session."""
    now = timezone.now()
    session_pk = _session_id(request.GET)
    if session_pk is not None:
        return _for_session(request, _session(request, session_pk), now)
    searched = bool(request.GET)
    zone = preferred_zone(request.user) or default_time_zone()
    search = SessionSearch(
        request.GET if searched else None,
        courses=course_list_for(request.user),
        initial={"time_zone": zone},
    )
    availability: Availability | None = None
    chosen = Choices()
    create_url = ""
    if searched and search.is_valid():
        data = search.form.cleaned_data
        availability = session_availability(
            course=data["course"],
            blocks=search.instants,
            time_zone=data["time_zone"],
            capacity=data["capacity"],
            features=data["features"],
            site_id=data["site"].pk if data["site"] else None,
        )
        chosen = _chosen(availability, data.get("room"), data.get("lead"))
        create_url = _create_url(search, chosen)
    context = {
        "search": search,
        "form": search.form,
        "blocks": search.blocks,
        "availability": availability,
        "searched": searched,
        "chosen": chosen,
        "create_url": create_url,
        "can_create": can(request.user, "session", "create"),
        "session": None,
        "now": now,
    }
    status = 400 if searched and availability is None else 200
    context.update(_result_links(request.GET, availability))
    return render(request, "scheduling/session_slot_search.html", context, status=status)


def _chosen(availability: Availability, room_pk: int | None, lead_pk: int | None) -> Choices:
    """The picks carried in the query, if they are still free for these blocks."""
    room = next((c.resource for c in availability.free_rooms if c.pk == room_pk), None)
    lead = next((c.resource for c in availability.free_instructors if c.pk == lead_pk), None)
    return Choices(room, lead)


def _create_url(search: SessionSearch, chosen: Choices) -> str:
    data = search.form.cleaned_data
    rows = [{**row, "room": chosen.room.pk if chosen.room else None} for row in search.local_rows()]
    query = new_session_query(
        settings={
            "course": data["course"].pk,
            "capacity": data["capacity"],
            "time_zone": data["time_zone"],
            "lead": chosen.lead.pk if chosen.lead else None,
        },
        rows=rows,
    )
    return f"{reverse('scheduling:session-create')}?{query}"


def _result_links(query: QueryDict, availability: Availability | None) -> dict[str, Any]:
    """The free rooms and instructors, each with a "Choose" link that keeps the search."""
    if availability is None:
        return {"room_rows": [], "lead_rows": []}
    return {
        "room_rows": [(c, _link_with(query, room=str(c.pk))) for c in availability.free_rooms],
        "lead_rows": [
            (c, _link_with(query, lead=str(c.pk))) for c in availability.free_instructors
        ],
    }


def _for_session(request: HttpRequest, session: Session, now: dt.datetime) -> HttpResponse:
    blocks = _upcoming(session, now)
    availability = None
    if blocks:
        availability = session_availability(
            course=session.course,
            blocks=[(b.starts_at, b.ends_at) for b in blocks],
            time_zone=session.time_zone,
            capacity=session.capacity,
            features=session.wanted_features,
            session_id=session.pk,
        )
    assignments = list(session.assignments.all())
    assigned = {a.instructor_id for a in assignments}
    editable = session.status in EDITABLE_STATUSES
    context = {
        "session": session,
        "session_blocks": blocks,
        "availability": availability,
        "assigned": assigned,
        "next_role": AssignmentRole.CO_FACILITATOR
        if any(a.role == AssignmentRole.LEAD for a in assignments)
        else AssignmentRole.LEAD,
        "can_change_room": editable
        and session.delivery_mode == DeliveryMode.ILT
        and can(request.user, "session", "reschedule"),
        "can_assign": editable and can(request.user, "assignment", "create"),
        "now": now,
        **_result_links(request.GET, availability),
    }
    return render(request, "scheduling/session_slot_search.html", context)


@require_POST
@policy_required("session", "reschedule")
def session_room_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Hold every upcoming block of the session in one room (one reschedule, all or nothing)."""
    session = _session(request, pk)
    if session.status not in EDITABLE_STATUSES:
        raise Http404(_("This session can no longer be edited."))
    value = request.POST.get("room", "")
    room = (
        Room.objects.select_related("site").filter(pk=int(value)).first()
        if (value.isdigit() and len(value) < 19)
        else None
    )
    if room is None:
        messages.error(request, _("Choose a room."))
        return _search_again(request, session, status=400)
    blocks = _upcoming(session, timezone.now())
    changes = [services.BlockChange(block_id=b.pk, room=room) for b in blocks]
    if not changes:
        messages.error(request, _("The session has no upcoming block to move."))
        return _search_again(request, session, status=400)
    try:
        _session_row, warnings = services.session_reschedule(session_id=session.pk, changes=changes)
    except DomainError as error:
        # A room taken since the page was shown: the search again, with the service's reason.
        messages.error(request, error.message)
        return _search_again(request, session, status=error.status_code)
    messages.success(request, _("Every upcoming block is now in %s.") % room)
    for finding in warnings:
        messages.warning(request, finding.message)
    return redirect("scheduling:session-detail", pk=session.pk)


def _search_again(request: HttpRequest, session: Session, *, status: int) -> HttpResponse:
    """The session's search page again, with the message, and the given status."""
    response = _for_session(request, session, timezone.now())
    response.status_code = status
    return response


# --- Copy ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@policy_required("session", "create")
def session_copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a session to a new first day. A copy that keeps a room for every block is saved as a
    draft at once; one that lost a room (taken then) opens the new-session form filled in, the
    room left empty and the reason shown, for the coordinator to choose."""
    source = _session(request, pk)
    form = CopySessionForm(request.POST or None)
    active = sorted(
        (b for b in source.blocks.all() if b.status == BlockStatus.ACTIVE),
        key=lambda b: b.starts_at,
    )
    context: dict[str, Any] = {"session": source, "form": form, "active_blocks": active}
    if request.method == "GET":
        return render(request, "scheduling/session_copy.html", context)
    if not form.is_valid():
        return render(request, "scheduling/session_copy.html", context, status=400)
    now = timezone.now()
    try:
        plan = session_copy_plan(source=source, first_day=form.cleaned_data["first_day"], now=now)
        if not plan.complete:
            for reason in plan.dropped:
                messages.warning(request, reason)
            return redirect(_copy_form_url(plan))
        copy, warnings = session_copy(plan=plan, created_by=request.user, now=now)
    except DomainError as error:
        for field, errors in (error.fields or {}).items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        if not error.fields:
            form.add_error(None, error.message)
        return render(request, "scheduling/session_copy.html", context, status=error.status_code)
    messages.success(
        request,
        _("Draft session #%(copy)s copied from #%(source)s.")
        % {"copy": copy.pk, "source": source.pk},
    )
    for reason in plan.dropped:
        messages.warning(request, reason)
    for finding in warnings:
        messages.warning(request, finding.message)
    return redirect("scheduling:session-detail", pk=copy.pk)


def _copy_form_url(plan: CopyPlan) -> str:
    source = plan.source
    lead = next((p for p in plan.instructors if p.role == AssignmentRole.LEAD), None)
    query = new_session_query(
        settings={
            "course": source.course_id,
            "delivery_mode": source.delivery_mode,
            "capacity": source.capacity,
            "min_attendees": source.min_attendees,
            "time_zone": source.time_zone,
            "host_account": plan.host_account.pk if plan.host_account else None,
            "lead": lead.instructor.pk if lead else None,
            "notes": source.notes,
        },
        rows=[
            {
                "date": b.day.isoformat(),
                "starts": b.starts.strftime("%H:%M"),
                "ends": b.ends.strftime("%H:%M"),
                "room": b.room.pk if b.room else None,
            }
            for b in plan.blocks
        ],
        co_facilitators=[
            p.instructor.pk for p in plan.instructors if p.role != AssignmentRole.LEAD
        ],
    )
    return f"{reverse('scheduling:session-create')}?{query}"
