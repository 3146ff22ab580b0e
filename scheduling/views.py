"""Scheduling pages: session list, detail, create (with a conflict check before saving) and the
coordinator's per-session actions. Views are thin: check the policy, validate the shape with a
form, fetch through a visibility selector, call one service, render or redirect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scheduling import services
from scheduling.calendar.moves import session_page_block_move
from scheduling.forms import (
    AssignInstructorForm,
    BlockChangeForm,
    BlockForm,
    InstructorSearchForm,
    ReasonForm,
    RoomSearchForm,
    SessionFilterForm,
    SessionPlan,
    SessionSettingsForm,
    TransitionForm,
    bookable_rooms,
    default_time_zone,
)
from scheduling.forms.prefill import new_session_initial
from scheduling.models import (
    EDITABLE_STATUSES,
    AssignmentRole,
    BlockStatus,
    DeliveryMode,
    Session,
    SessionBlock,
    SessionStatus,
)
from scheduling.page_extensions import session_detail_extended, session_rows_extended
from scheduling.selectors import (
    EffectiveCapacity,
    course_list_for,
    effective_capacity,
    instructors_available,
    rooms_available,
    session_get_for,
    session_is_taught_by,
    session_list_for,
)
from scheduling.services import Finding, Report
from scheduling.services.local_times import ZONE_DIFFERS, warn_zone_differs
from tms.exceptions import DomainError
from tms.roles import Role, roles_of
from tms.timezones import preferred_zone
from tms.views import can, policy_required, viewer_zone
from venues.models import RoomFeature

PAGE_SIZE = 25
PICKERS = "scheduling/partials/instructor_pickers.html"


# --- Presentation helpers ---------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: Session
    capacity: EffectiveCapacity
    lead: str
    where: str
    block_count: int


def session_rows(sessions: Any) -> list[SessionRow]:
    """List rows from sessions fetched by `session_list_for` (blocks and instructors are
    prefetched, so this adds no queries)."""
    rows = []
    for session in sessions:
        active = [b for b in session.blocks.all() if b.status == BlockStatus.ACTIVE]
        if session.delivery_mode == DeliveryMode.VILT:
            where = _("Online")
        else:
            rooms = list(dict.fromkeys(str(b.room) for b in active if b.room is not None))
            where = rooms[0] if rooms else _("No room yet")
            if len(rooms) > 1:
                where = _("%(room)s and %(n)s more") % {"room": rooms[0], "n": len(rooms) - 1}
        lead = next(
            (
                a.instructor.display_name
                for a in session.assignments.all()
                if a.role == AssignmentRole.LEAD
            ),
            "",
        )
        rows.append(SessionRow(session, effective_capacity(session), lead, where, len(active)))
    return rows


def _get_session(request: HttpRequest, pk: int) -> Session:
    try:
        return session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None


def _warn(request: HttpRequest, warnings: list[Finding]) -> None:
    """The service's warnings as one-off messages on the session page, which shows a zone
    that differs from a room's site every time anyway (`zone_warnings`)."""
    for finding in warnings:
        if finding.code != ZONE_DIFFERS:
            messages.warning(request, finding.message)


def zone_warnings(session: Session, blocks: list[SessionBlock]) -> list[Finding]:
    """The session's zone against its rooms' sites (`local_times.warn_zone_differs`), for the
    session page: from the prefetched blocks, rooms and sites."""
    report = Report()
    if session.delivery_mode == DeliveryMode.ILT:
        active = [b.room for b in blocks if b.status == BlockStatus.ACTIVE]
        warn_zone_differs(session.time_zone, active, report)
    return report.warnings


def _detail(session: Session) -> HttpResponse:
    return redirect("scheduling:session-detail", pk=session.pk)


# --- List and detail --------------------------------------------------------------------------


@require_GET
@policy_required("session", "list")
def session_list(request: HttpRequest) -> HttpResponse:
    """Every session the user may see, filtered and paginated; htmx swaps only the results."""
    held = roles_of(request.user)
    zone = viewer_zone(request)
    params = request.GET.copy()
    if not any(key != "page" for key in params):
        # First visit: start at today rather than at the beginning of history.
        params["date_from"] = timezone.now().astimezone(zone).date().isoformat()
    show_status = bool(held - {Role.LEARNER})
    form = SessionFilterForm(params, courses=course_list_for(request.user), show_status=show_status)
    sessions = session_list_for(request.user)
    sessions = form.apply(sessions, zone) if form.is_valid() else sessions.none()
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        # Attendance adds seats per row (one query for the page).
        "rows": session_rows_extended(session_rows(page.object_list), request.user),
        "viewer_zone": zone,
        "query": params,
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "scheduling/partials/session_results.html", context)
    else:
        response = render(request, "scheduling/session_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@policy_required("session", "retrieve")
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    user = request.user
    held = roles_of(user)
    blocks = list(session.blocks.all())
    teaches = session_is_taught_by(session, user)
    editable = can(user, "session", "update") and session.status in EDITABLE_STATUSES
    active_count = sum(1 for b in blocks if b.status == BlockStatus.ACTIVE)
    sees_logistics = bool(held & {Role.COORDINATOR, Role.AUDITOR}) or teaches
    context = {
        "session": session,
        "blocks": blocks,
        "active_count": active_count,
        "zone_warnings": zone_warnings(session, blocks) if sees_logistics else [],
        "capacity": effective_capacity(session),
        # Lead first, then co-facilitators by name.
        "assignments": sorted(
            session.assignments.all(),
            key=lambda a: (a.role != AssignmentRole.LEAD, a.instructor.display_name),
        ),
        "sees_logistics": sees_logistics,
        "teaches": teaches,
        "editable": editable,
        "can_cancel": can(user, "session", "transition")
        and session.status != SessionStatus.CANCELLED,
        "can_publish": can(user, "session", "transition") and session.status == SessionStatus.DRAFT,
        "can_complete": can(user, "session", "transition")
        and session.status == SessionStatus.SCHEDULED
        and session.ends_at is not None
        and session.ends_at <= timezone.now(),
        "can_move": editable and can(user, "session", "reschedule"),
        "can_add_block": editable and can(user, "session_block", "create"),
        "can_cancel_block": editable and can(user, "session_block", "cancel"),
        "can_restore_block": editable and can(user, "session_block", "restore"),
        "can_unassign": editable and can(user, "assignment", "delete"),
        "assign_form": AssignInstructorForm(session=session, auto_id="id_assign_%s").annotate(
            now=timezone.now()
        )
        if editable and can(user, "assignment", "create")
        else None,
    }
    # Attendance adds seats, the viewer's registration and (for those allowed) the roster and
    # waitlist.
    context.update(session_detail_extended(request, session))
    return render(request, "scheduling/session_detail.html", context)


# --- Create -------------------------------------------------------------------------------------


def _plan(request: HttpRequest, data: QueryDict | None = None) -> SessionPlan:
    # A session without a room (a video call) defaults to the coordinator's own zone. A GET
    # may carry initial values from a link (the availability search, a copy).
    initial, rows = new_session_initial(request.GET) if data is None else ({}, [])
    return SessionPlan(
        data,
        courses=course_list_for(request.user),
        fallback_zone=preferred_zone(request.user),
        initial=initial,
        block_rows=rows,
    )


@require_http_methods(["GET", "POST"])
@policy_required("session", "create")
def session_create(request: HttpRequest) -> HttpResponse:
    """The session form. "Check" previews conflicts (see `session_check`); "Save" creates the
    session through the service, which re-checks everything in its transaction."""
    if request.method == "GET":
        return _render_plan(request, _plan(request))
    plan = _plan(request, request.POST)
    status = SessionStatus.SCHEDULED if "publish" in request.POST else SessionStatus.DRAFT
    if not plan.is_valid():
        return _render_plan(request, plan, status=400)
    data = plan.to_input(status=status)
    try:
        session = services.session_create(data=data, created_by=request.user)
    except DomainError as error:
        plan.add_domain_error(error)
        return _render_plan(request, plan, status=error.status_code)
    if status == SessionStatus.SCHEDULED:
        messages.success(request, _("Session #%s is scheduled and published.") % session.pk)
    else:
        messages.success(request, _("Draft session #%s saved.") % session.pk)
    _warn(request, data.warnings)
    return _detail(session)


def _render_plan(
    request: HttpRequest,
    plan: SessionPlan,
    *,
    report: Any = None,
    checked: bool = False,
    status: int = 200,
) -> HttpResponse:
    plan.annotate_pickers()
    context = {
        "plan": plan,
        "form": plan.form,
        "blocks": plan.blocks,
        "report": report,
        "checked": checked,
    }
    return render(request, "scheduling/session_form.html", context, status=status)


@require_POST
@policy_required("preview", "check")
def session_check(request: HttpRequest) -> HttpResponse:
    """Preview: evaluate the plan against every rule without writing anything.

    With htmx only the report is returned; without JavaScript the whole form is re-rendered
    with the report in place.
    """
    plan = _plan(request, request.POST)
    report = services.evaluate(plan.to_proposal(), now=timezone.now()) if plan.is_valid() else None
    if request.htmx:
        context = {"plan": plan, "report": report, "checked": True}
        response = render(request, "scheduling/partials/check_report.html", context)
        # The instructor pickers again, ordered for these blocks (swapped in out of band).
        plan.annotate_pickers()
        pickers = {"form": plan.form, "oob": True}
        response.write(render_to_string(PICKERS, pickers, request=request))
        return response
    return _render_plan(request, plan, report=report, checked=True)


@require_GET
@policy_required("session", "create")
def session_block_row(request: HttpRequest) -> HttpResponse:
    """One more empty block row for the form (htmx), and the formset's new row count."""
    try:
        index = int(request.GET.get("blocks-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    index = max(0, min(index, 59))
    form = BlockForm(prefix=f"blocks-{index}", rooms=bookable_rooms())
    form.fields["date"].widget.attrs["autofocus"] = True  # htmx focuses it after the swap
    context = {"row": form, "index": index, "total": index + 1}
    return render(request, "scheduling/partials/block_row_added.html", context)


# --- Edit ---------------------------------------------------------------------------------------


def _editable_session(request: HttpRequest, pk: int) -> Session:
    session = _get_session(request, pk)
    if session.status not in EDITABLE_STATUSES:
        raise Http404(_("This session can no longer be edited."))
    return session


@require_http_methods(["GET", "POST"])
@policy_required("session", "update")
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    form = SessionSettingsForm(request.POST or None, session=session)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _session, warnings = services.session_update(
                    session_id=session.pk, **form.service_kwargs()
                )
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, _("Session settings saved."))
                _warn(request, warnings)
                return _detail(session)
        else:
            status = 400
    context = {"session": session, "form": form}
    return render(request, "scheduling/session_edit.html", context, status=status)


@require_POST
@policy_required("session", "transition")
def session_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish, complete or cancel (with a reason)."""
    session = _get_session(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the session."))
        return _detail(session)
    to_status = form.cleaned_data["to_status"]
    try:
        services.session_transition(
            session_id=session.pk, to_status=to_status, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _detail(session)
    done = {
        SessionStatus.SCHEDULED: _("Session published."),
        SessionStatus.COMPLETED: _("Session marked as completed."),
        SessionStatus.CANCELLED: _("Session cancelled; its rooms and instructors are free again."),
    }
    messages.success(request, done.get(to_status, _("Session updated.")))
    return _detail(session)


def _block(session: Session, block_pk: int) -> SessionBlock:
    for block in session.blocks.all():
        if block.pk == block_pk:
            return block
    raise Http404(_("No such block."))


@require_http_methods(["GET", "POST"])
@policy_required("session", "reschedule")
def block_move(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    """Move and/or re-room one block; bookings follow in the same transaction."""
    session = _editable_session(request, pk)
    block = _block(session, block_pk)
    if block.status != BlockStatus.ACTIVE:
        messages.error(request, _("Restore the cancelled block before changing it."))
        return _detail(session)
    return session_page_block_move(request, session, block)


@require_http_methods(["GET", "POST"])
@policy_required("session_block", "create")
def block_add(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    form = BlockChangeForm(request.POST or None, session=session)

    def save() -> tuple[Any, list[Any]]:
        starts_at, ends_at = form.times()
        return services.block_add(
            session_id=session.pk,
            starts_at=starts_at,
            ends_at=ends_at,
            room=form.cleaned_data.get("room"),
        )

    return _block_form_page(request, session, form, block=None, save=save, done=_("Block added."))


def _block_form_page(
    request: HttpRequest,
    session: Session,
    form: BlockChangeForm,
    *,
    block: SessionBlock | None,
    save: Callable[[], tuple[Any, list[Any]]],
    done: str,
) -> HttpResponse:
    """The block page: on a valid POST, `save()` (a service call returning its result and
    warnings), then back to the session; otherwise the form again with its errors."""
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                _result, warnings = save()
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, done)
                _warn(request, warnings)
                return _detail(session)
    context = {"session": session, "editing_block": block, "form": form, "adding": block is None}
    return render(request, "scheduling/block_form.html", context, status=status)


@require_POST
@policy_required("session_block", "cancel")
def block_cancel(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    block = _block(session, block_pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for cancelling the block."))
        return _detail(session)
    try:
        services.block_cancel(
            session_id=session.pk, block_id=block.pk, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Block cancelled; its bookings are free again."))
    return _detail(session)


@require_POST
@policy_required("session_block", "restore")
def block_restore(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    session = _get_session(request, pk)
    block = _block(session, block_pk)
    try:
        _restored, warnings = services.block_restore(session_id=session.pk, block_id=block.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Block restored and booked again."))
        _warn(request, warnings)
    return _detail(session)


@require_POST
@policy_required("assignment", "create")
def instructor_assign(request: HttpRequest, pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    form = AssignInstructorForm(request.POST, session=session)
    if not form.is_valid():
        messages.error(request, _("Choose an instructor and a role."))
        return _detail(session)
    try:
        _assignment, warnings = services.session_assign_instructor(
            session_id=session.pk,
            instructor=form.cleaned_data["instructor"],
            role=form.cleaned_data["role"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(who)s assigned as %(role)s.")
            % {
                "who": form.cleaned_data["instructor"],
                "role": AssignmentRole(form.cleaned_data["role"]).label.lower(),
            },
        )
        _warn(request, warnings)
    return _detail(session)


@require_POST
@policy_required("assignment", "delete")
def instructor_unassign(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    session = _editable_session(request, pk)
    try:
        services.session_unassign_instructor(session_id=session.pk, assignment_id=assignment_pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Instructor removed from the session."))
    return _detail(session)


# --- Availability searches ---------------------------------------------------------------------


def _search_initial() -> dict[str, Any]:
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    return {
        "date": tomorrow,
        "starts": dt.time(9),
        "ends": dt.time(12),
        "time_zone": default_time_zone(),
    }


@require_GET
@policy_required("availability", "rooms")
def room_search(request: HttpRequest) -> HttpResponse:
    """Free rooms for a slot (buffers and closures included)."""
    searched = bool(request.GET)
    form = RoomSearchForm(request.GET if searched else None, initial=_search_initial())
    rooms = None
    if searched and form.is_valid():
        data = form.cleaned_data
        site = data.get("site")
        found = rooms_available(
            blocks=form.blocks(),
            min_capacity=data["min_capacity"],
            features=data.get("features") or (),
            site_id=site.pk if site else None,
        )
        rooms = [
            {"room": room, "features": [RoomFeature(f).label for f in room.features]}
            for room in found
        ]
    context = {"form": form, "rooms": rooms, "searched": searched}
    return render(request, "scheduling/room_search.html", context, status=_status(searched, form))


@require_GET
@policy_required("availability", "instructors")
def instructor_search(request: HttpRequest) -> HttpResponse:
    """Qualified instructors free for a slot."""
    searched = bool(request.GET)
    courses = course_list_for(request.user)
    form = InstructorSearchForm(
        request.GET if searched else None, courses=courses, initial=_search_initial()
    )
    people = None
    if searched and form.is_valid():
        people = list(
            instructors_available(
                course=form.cleaned_data["course"],
                blocks=form.blocks(),
                time_zone=form.cleaned_data["time_zone"],
            )
        )
    context = {"form": form, "people": people, "searched": searched}
    return render(
        request, "scheduling/instructor_search.html", context, status=_status(searched, form)
    )


def _status(searched: bool, form: Any) -> int:
    return 400 if searched and not form.is_valid() else 200
