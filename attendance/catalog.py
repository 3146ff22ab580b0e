"""The learner catalog: published sessions still to start, grouped by course, each course with
its next dates; for each date what the viewer may do (register, join the waitlist, or why
not), and for a course whose prerequisites the learner lacks, which ones, linked to their
upcoming sessions.

`register_action` is the one rule for "show a Register button": the catalog and the session
page's registration panel both use it. The services still decide (and refuse) on their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Min, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from attendance.forms import CatalogFilterForm
from attendance.models import ACTIVE, Registration
from attendance.prerequisites import missing_prerequisites
from attendance.selectors import Seats, registrations_of, seats_by_session
from attendance.services.registration import RegistrationWindow, registration_window
from scheduling.models import Course, Session, SessionStatus
from scheduling.selectors import course_list_for, session_list_for
from scheduling.views import SessionRow, session_rows
from tms.roles import Role, roles_of
from tms.views import can, policy_required, viewer_zone

COURSES_PER_PAGE = 10
# Dates shown per course; the course's own (filtered) catalog shows them all.
DATES_PER_COURSE = 4


class Action(StrEnum):
    """What the catalog or the registration panel offers the viewer for one session."""

    REGISTER = "register"
    WAITLIST = "waitlist"  # full: "Join the waitlist"
    REGISTERED = "registered"  # already in (a seat, an offer or a place in the line)
    PREREQUISITES = "prerequisites"  # another course first (linked)
    NOT_YET = "not_yet"  # the registration window opens later
    CLOSED = "closed"  # the window closed, or the session is no longer open
    NONE = "none"  # not a learner: nothing to offer


def register_action(
    session: Session,
    *,
    seats: Seats,
    mine: Registration | None,
    missing: list[Course],
    may_register: bool,
    now: dt.datetime,
) -> Action:
    """Whether to show Register / Join the waitlist, or why not (in this order: not a
    learner, already registered, not open, missing prerequisites, window, full)."""
    if not may_register:
        return Action.NONE
    if mine is not None:
        return Action.REGISTERED
    if (
        session.status != SessionStatus.SCHEDULED
        or session.starts_at is None
        or session.starts_at <= now
    ):
        return Action.CLOSED
    if missing:
        return Action.PREREQUISITES
    window = registration_window(session, now)
    if window == RegistrationWindow.NOT_YET:
        return Action.NOT_YET
    if window == RegistrationWindow.CLOSED:
        return Action.CLOSED
    return Action.WAITLIST if seats.full else Action.REGISTER


@dataclass(frozen=True)
class CatalogDate:
    row: SessionRow
    seats: Seats
    mine: Registration | None
    action: Action

    @property
    def session(self) -> Session:
        return self.row.session


@dataclass
class CourseGroup:
    course: Course
    dates: list[CatalogDate] = field(default_factory=list)
    more: int = 0
    missing: list[Course] = field(default_factory=list)


def _open_sessions(request: HttpRequest, form: CatalogFilterForm, now: dt.datetime) -> Any:
    sessions = session_list_for(request.user).filter(
        status=SessionStatus.SCHEDULED, course__active=True, starts_at__gt=now
    )
    return form.apply(sessions, viewer_zone(request)) if form.is_valid() else sessions.none()


def catalog_groups(
    user: Any, sessions: QuerySet[Session], *, page_number: Any, all_dates: bool, now: dt.datetime
) -> tuple[Page[Any], list[CourseGroup]]:
    """One page of courses (soonest next date first), each with its next dates. A constant
    number of queries: the page of courses (and its count), their sessions with blocks and
    instructors, seats, the viewer's registrations and the prerequisites they lack."""
    firsts = (
        sessions.order_by()
        .values("course_id")
        .annotate(first=Min("starts_at"))
        .order_by("first", "course_id")
    )
    page = Paginator(firsts, COURSES_PER_PAGE).get_page(page_number)
    course_ids = [entry["course_id"] for entry in page.object_list]
    dated = list(sessions.filter(course_id__in=course_ids).order_by("starts_at", "pk"))
    seats = seats_by_session(dated)
    learner = Role.LEARNER in roles_of(user)
    may_register = learner and can(user, "registration", "create")
    mine: dict[int, Registration] = {}
    missing: dict[int, list[Course]] = {}
    if learner and dated:
        mine = {
            r.session_id: r
            for r in registrations_of(user)
            .filter(session_id__in=[s.pk for s in dated], status__in=ACTIVE)
            .select_related(None)
        }
    if may_register and course_ids:
        missing = missing_prerequisites(user.pk, course_ids)
    groups: dict[int, CourseGroup] = {}
    for course_id in course_ids:
        groups[course_id] = CourseGroup(course=Course(pk=course_id))
    for row in session_rows(dated):
        session = row.session
        group = groups[session.course_id]
        group.course = session.course
        group.missing = missing.get(session.course_id, [])
        if not all_dates and len(group.dates) >= DATES_PER_COURSE:
            group.more += 1
            continue
        session_seats = seats.get(session.pk) or Seats(limit=0, taken=0, waitlisted=0)
        group.dates.append(
            CatalogDate(
                row=row,
                seats=session_seats,
                mine=mine.get(session.pk),
                action=register_action(
                    session,
                    seats=session_seats,
                    mine=mine.get(session.pk),
                    missing=group.missing,
                    may_register=may_register,
                    now=now,
                ),
            )
        )
    # A course whose sessions went between the two reads has nothing to show.
    return page, [group for group in groups.values() if group.dates]


@require_GET
@policy_required("session", "list")
def catalog(request: HttpRequest) -> HttpResponse:
    """Published sessions still to start, by course: each course's next dates with the seats
    left (or "waitlist") and the viewer's way in. `?course=<id>` lists all of one course's
    dates (where a missing prerequisite links to)."""
    now = timezone.now()
    form = CatalogFilterForm(request.GET, courses=course_list_for(request.user))
    sessions = _open_sessions(request, form, now)
    all_dates = form.is_valid() and form.cleaned_data.get("course") is not None
    page, groups = catalog_groups(
        request.user, sessions, page_number=request.GET.get("page"), all_dates=all_dates, now=now
    )
    context = {
        "form": form,
        "page": page,
        "groups": groups,
        "all_dates": all_dates,
        "viewer_zone": viewer_zone(request),
        "query": request.GET,
    }
    htmx = getattr(request, "htmx", None)  # django-htmx's middleware
    if htmx and not htmx.history_restore_request:
        response = render(request, "attendance/partials/catalog_results.html", context)
    else:
        response = render(request, "attendance/catalog.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
