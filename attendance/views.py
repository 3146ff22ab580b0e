"""Registration pages: the learner catalog, "My training", registering, cancelling and offers
(also from the one-click email link), and the coordinator's roster and waitlist actions.

Views are thin: check the policy, validate the shape with a form, fetch through a visibility
selector, call one service, then redirect with a message. A service's refusal (`DomainError`)
becomes an error message on the page; the service's transaction has written nothing. A seat
freed here goes to the head of the line in the same transaction (the services do that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attendance.access import may_see_roster
from attendance.agenda import upcoming_agenda
from attendance.catalog import Action, register_action
from attendance.forms import (
    BulkEnrolForm,
    CancelForm,
    EnrolForm,
    WaitlistMoveForm,
)
from attendance.models import (
    ACTIVE,
    CourseWaitlistEntry,
    CourseWaitlistStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from attendance.prerequisites import missing_prerequisites
from attendance.roster_views import roster_page
from attendance.selectors import (
    Seats,
    course_waitlist_of,
    join_link_visible,
    registration_of,
    registrations_of,
    roster_for,
    seats_by_session,
    seats_for,
    waitlist_for,
    with_attendance_records,
    with_waitlist_positions,
)
from attendance.services.registration import (
    course_waitlist_join,
    course_waitlist_leave,
    offer_accept,
    offer_decline,
    registration_bulk_enrol,
    registration_cancel,
    registration_create,
    registration_window,
    waitlist_move,
)
from attendance.services.seats import waitlist_position
from attendance.tokens import read_course_waitlist_token, read_offer_token
from scheduling.models import Course, DeliveryMode, Session, SessionBlock, SessionStatus
from scheduling.selectors import course_list_for, session_get_for
from scheduling.views import SessionRow
from tms.exceptions import DomainError
from tms.roles import Role, roles_of
from tms.views import can, policy_required, scope_for, viewer_zone

# Offer links are signed; the offer's own deadline is what really limits them. This only
# stops a very old email from being replayed against a later offer on the same registration.
OFFER_LINK_MAX_AGE = dt.timedelta(days=30)
OFFER_ACTIONS = ("accept", "decline")
# What the one-click links in emails may do: answer an offer, or leave the waitlist.
LINK_ACTIONS = (*OFFER_ACTIONS, "leave")
OPEN_STATUSES = ACTIVE


# --- Helpers ----------------------------------------------------------------------------------


def _scope_is_all(user: Any, resource: str, action: str) -> bool:
    return str(scope_for(user, resource, action) or "") == "all"


def _visible_session(request: HttpRequest, pk: int) -> Session:
    try:
        return session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None


def _session_page(session_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("scheduling:session-detail", args=[session_id])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Return to the page the form was on (`next`), if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def _registration_for(request: HttpRequest, pk: int, resource: str, action: str) -> Registration:
    """A registration the user may act on: their own, or any with an "all" scope (else 404)."""
    registration = (
        Registration.objects.select_related("learner", "session__course").filter(pk=pk).first()
    )
    if registration is None:
        raise Http404(_("No such registration."))
    if registration.learner_id != request.user.pk and not _scope_is_all(
        request.user, resource, action
    ):
        raise Http404(_("No such registration."))
    return registration


def _who(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("Check the form and try again.")


# --- Seats in lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatedRow(SessionRow):
    seats: Seats | None = None
    mine: Registration | None = None


def with_seats(rows: list[SessionRow], user: Any = None) -> list[SeatedRow]:
    """Add seats (one query for the page) and, for a learner, their own registration (one
    more query) to list rows built by `session_rows`."""
    sessions = [row.session for row in rows]
    seats = seats_by_session(sessions)
    mine: dict[int, Registration] = {}
    if user is not None and Role.LEARNER in roles_of(user) and sessions:
        mine = {
            r.session_id: r
            for r in registrations_of(user)
            .filter(session_id__in=[s.pk for s in sessions], status__in=OPEN_STATUSES)
            .select_related(None)
        }
    return [
        SeatedRow(
            **{f.name: getattr(row, f.name) for f in fields(row)},
            seats=seats.get(row.session.pk),
            mine=mine.get(row.session.pk),
        )
        for row in rows
    ]


# --- The session page's registration parts ------------------------------------------------------


def session_registration_context(request: HttpRequest, session: Session) -> dict[str, Any]:
    """Seats, the viewer's own registration and actions, and (for those allowed) the roster
    and waitlist with the coordinator's actions. Used by `scheduling.views.session_detail`."""
    user = request.user
    now = timezone.now()
    held = roles_of(user)
    seats = seats_for(session)
    upcoming = (
        session.status == SessionStatus.SCHEDULED
        and session.starts_at is not None
        and session.starts_at > now
    )
    context: dict[str, Any] = {
        "seats": seats,
        "registration_upcoming": upcoming,
        "join_link_visible": join_link_visible(session, user, now=now),
        "join_link_minutes": settings.JOIN_LINK_VISIBLE_MINUTES,
        "now": now,
    }
    if Role.LEARNER in held:
        mine = registration_of(user, session)
        window = registration_window(session, now)
        course_entry = (
            course_waitlist_of(user).filter(course_id=session.course_id).first()
            if upcoming
            else None
        )
        missing = (
            missing_prerequisites(user.pk, [session.course_id]).get(session.course_id, [])
            if upcoming and mine is None
            else []
        )
        action = register_action(
            session,
            seats=seats,
            mine=mine,
            missing=missing,
            may_register=can(user, "registration", "create"),
            now=now,
        )
        context.update(
            {
                "mine": mine,
                "missing_prerequisites": missing,
                "my_position": waitlist_position(
                    session_id=session.pk, status=mine.status, rank=mine.waitlist_rank
                )
                if mine
                else None,
                "registration_window": window,
                "can_register": action in (Action.REGISTER, Action.WAITLIST),
                "my_course_entry": course_entry,
                "can_join_any_date": upcoming
                and seats.full
                and course_entry is None
                and mine is None
                and not missing
                and can(user, "course_waitlist", "create"),
            }
        )
    if may_see_roster(user, session):
        context.update(roster_context(user, session, upcoming=upcoming))
    return context


def roster_context(user: Any, session: Session, *, upcoming: bool) -> dict[str, Any]:
    manages = _scope_is_all(user, "registration", "cancel")
    return {
        "shows_roster": True,
        "can_promote": upcoming and can(user, "waitlist", "promote"),
        "roster": list(roster_for(session)),
        "waitlist": list(waitlist_for(session)),
        "can_cancel_any": manages,
        "can_move_waitlist": can(user, "waitlist", "move"),
        "enrol_form": EnrolForm(auto_id="id_enrol_%s")
        if upcoming and _scope_is_all(user, "registration", "create")
        else None,
        "can_bulk_enrol": upcoming and can(user, "registration", "bulk_enrol"),
        # Readers of the audit log open a registration's history on its row (loaded when
        # opened, so no query per row) and the learner's record.
        "can_read_history": can(user, "audit_log", "list"),
        "can_see_learner_records": can(user, "learner_record", "retrieve"),
    }


# --- Learner actions ----------------------------------------------------------------------------


@require_POST
@policy_required("registration", "create")
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """Self-service: a seat, or a place on the waitlist when full (a success, not an error).
    The service checks that the learner may see the session in its own read of it."""
    try:
        outcome = registration_create(session_id=pk, learner=request.user, viewer=request.user)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None
    except DomainError as error:
        messages.error(request, error.message)
        return _session_page(pk)
    if outcome.confirmed:
        messages.success(
            request,
            _(
                "You are registered: your seat is confirmed. A confirmation email with a "
                "calendar invite is on its way."
            ),
        )
    else:
        messages.success(
            request,
            _(
                "The session is full: you were added to the waitlist at position %(n)d. We will "
                "email you as soon as a seat is free."
            )
            % {"n": outcome.position or 0},
        )
    return _session_page(pk)


@require_POST
@policy_required("registration", "cancel")
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a place: a learner their own (reason optional), a coordinator anyone's (the
    service requires a reason). A freed seat goes to the head of the line at once."""
    registration = _registration_for(request, pk, "registration", "cancel")
    own = registration.learner_id == request.user.pk
    form = CancelForm(request.POST)
    default = reverse("scheduling:session-detail", args=[registration.session_id])
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back(request, default)
    try:
        cancelled = registration_cancel(
            registration_id=registration.pk,
            cancelled_by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, default)
    if own:
        text = _("Your place in %(course)s is cancelled.") % {
            "course": registration.session.course.title
        }
        if cancelled.late_cancellation:
            text += " " + _("This is a late cancellation (close to the start).")
    else:
        text = _("%(who)s's registration is cancelled.") % {"who": _who(registration.learner)}
    messages.success(request, text)
    return _back(request, default)


@require_POST
@policy_required("registration", "respond_offer")
def offer_respond(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept or decline an offered seat from the session page or "My training"."""
    if action not in OFFER_ACTIONS:
        raise Http404
    default = reverse("attendance:my-training")
    try:
        registration = _answer_offer(request, pk, action)
    except Registration.DoesNotExist:
        raise Http404(_("No such offer.")) from None
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, default)
    _offer_answered_message(request, registration, action)
    return _back(request, default)


def _answer_offer(request: HttpRequest, pk: int, action: str) -> Registration:
    service = offer_accept if action == "accept" else offer_decline
    return service(registration_id=pk, learner=request.user)


def _offer_answered_message(request: HttpRequest, registration: Registration, action: str) -> None:
    title = registration.session.course.title
    if action == "accept":
        messages.success(
            request,
            _("You accepted the seat: your place in %(course)s is confirmed.") % {"course": title},
        )
    else:
        messages.success(
            request,
            _("You declined the seat in %(course)s; it goes to the next person waiting.")
            % {"course": title},
        )


@require_http_methods(["GET", "POST"])
@policy_required("registration", "respond_offer")
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click links from the emails: accept or decline an offered seat, or leave the
    waitlist ("not interested").

    GET only shows the question and one button: mail scanners fetch links, so nothing changes
    until the learner presses it (a POST). The link works for the learner it was sent to;
    signing in first brings them back here.
    """
    try:
        registration_id, action = read_offer_token(token, max_age=OFFER_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return _offer_link_invalid(request)
    if action not in LINK_ACTIONS:
        return _offer_link_invalid(request)
    registration = (
        registrations_of(request.user)
        .select_related("session__course")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        if Registration.objects.filter(pk=registration_id).exists():
            context = {"reason": "other_account"}
            return render(request, "attendance/offer_invalid.html", context, status=403)
        return _offer_link_invalid(request)
    now = timezone.now()
    is_open = _link_is_open(registration, action, now)
    if request.method == "POST" and is_open:
        try:
            if action == "leave":
                _leave_waitlist(request, registration, now)
            else:
                answered = _answer_offer(request, registration.pk, action)
                _offer_answered_message(request, answered, action)
        except Registration.DoesNotExist:
            return _offer_link_invalid(request)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return redirect("attendance:my-training")
        registration.refresh_from_db()
        is_open = False
    context = {
        "registration": registration,
        "session": registration.session,
        "action": action,
        "is_open": is_open,
        "token": token,
    }
    done = registration.status == (
        RegistrationStatus.CANCELLED if action == "leave" else RegistrationStatus.CONFIRMED
    )
    status = 200 if is_open or done else 400
    return render(request, "attendance/offer.html", context, status=status)


def _link_is_open(registration: Registration, action: str, now: dt.datetime) -> bool:
    if action == "leave":
        return registration.status == RegistrationStatus.WAITLISTED
    return registration.status == RegistrationStatus.OFFERED and (
        registration.offer_expires_at is None or registration.offer_expires_at > now
    )


def _leave_waitlist(request: HttpRequest, registration: Registration, now: dt.datetime) -> None:
    registration_cancel(
        registration_id=registration.pk,
        cancelled_by=request.user,
        reason=_("Not interested (link in the waitlist email)"),
        now=now,
    )
    messages.success(
        request,
        _("You left the waitlist for %(course)s.") % {"course": registration.session.course.title},
    )


def _offer_link_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "attendance/offer_invalid.html", {"reason": "invalid"}, status=400)


@require_POST
@policy_required("course_waitlist", "create")
def course_waitlist_add(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Join any date": the first seat that frees in any upcoming session of the course."""
    course = course_list_for(request.user).filter(active=True, pk=pk).first()
    if course is None:
        raise Http404(_("No such course."))
    try:
        course_waitlist_join(course_id=course.pk, learner=request.user)
    except (DomainError, Course.DoesNotExist) as error:
        messages.error(request, getattr(error, "message", _("This course is not available.")))
    else:
        messages.success(
            request,
            _(
                "You are on the waitlist for any date of %(course)s. We will offer you the first "
                "seat that frees up in a session that fits your calendar."
            )
            % {"course": course.title},
        )
    return _back(request, reverse("attendance:my-training"))


@require_POST
@policy_required("course_waitlist", "delete")
def course_waitlist_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        course_waitlist_leave(entry_id=pk, learner=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You left the any-date waitlist."))
    return _back(request, reverse("attendance:my-training"))


# --- My training ------------------------------------------------------------------------------


@require_GET
@policy_required("registration", "list")
def my_training(request: HttpRequest) -> HttpResponse:
    """The learner's offers, upcoming seats, waitlist places, any-date waitlists and history
    (past sessions with the learner's own attendance per block, outcome and certificate)."""
    now = timezone.now()
    registrations = list(
        with_waitlist_positions(registrations_of(request.user))
        .select_related("session__course", "session__host_account")
        # Each session's first block shows as "when", in the reader's zone, and the agenda
        # lists every block with its room (one query).
        .prefetch_related(
            Prefetch("session__blocks", queryset=SessionBlock.objects.select_related("room__site"))
        )
    )
    offers, upcoming, waiting, past, cancelled = [], [], [], [], []
    for r in registrations:
        ended = r.session.ends_at is not None and r.session.ends_at <= now
        if r.status == RegistrationStatus.CANCELLED or r.session.status == SessionStatus.CANCELLED:
            cancelled.append(r)
        elif ended or r.status not in OPEN_STATUSES:
            past.append(r)
        elif r.status == RegistrationStatus.OFFERED:
            offers.append(r)
        elif r.status == RegistrationStatus.WAITLISTED:
            waiting.append(r)
        else:
            # Few upcoming online sessions per learner: the rule stays in the selector.
            r.join_visible = (
                r.session.delivery_mode == DeliveryMode.VILT
                and bool(r.session.join_url)
                and join_link_visible(r.session, request.user, now=now)
            )
            upcoming.append(r)
    # Soonest first for what is ahead; newest first for history.
    for items in (offers, upcoming, waiting):
        items.sort(key=lambda r: (r.session.starts_at or now, r.pk))
    # Past sessions show the learner's own attendance per block and the outcome.
    with_attendance_records(past)
    context = {
        "offers": offers,
        "upcoming": upcoming,
        "waiting": waiting,
        "past": past,
        "cancelled": cancelled[:20],
        "course_entries": list(course_waitlist_of(request.user).order_by("created_at")),
        "now": now,
        "agenda": upcoming_agenda(upcoming, zone=viewer_zone(request).key, now=now),
    }
    return render(request, "attendance/my_training.html", context)


# --- Coordinator: roster, enrolment, waitlist ------------------------------------------------


@require_GET
@policy_required("roster", "retrieve")
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster and waitlist on a page of their own (printable); the session page shows
    the same lists."""
    session = _visible_session(request, pk)
    if not may_see_roster(request.user, session):
        raise PermissionDenied
    return roster_page(request, session)


@require_POST
@policy_required("registration", "create")
def enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """A coordinator enrols one learner, picked by name or email (outside the self-service
    window too); an account without the learner role is refused by the service."""
    if not _scope_is_all(request.user, "registration", "create"):
        raise PermissionDenied
    session = _visible_session(request, pk)
    form = EnrolForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _session_page(session.pk, "roster-heading")
    learner = form.learner
    try:
        outcome = registration_create(
            session_id=session.pk,
            learner=learner,
            enrolled_by=request.user,
            source=RegistrationSource.COORDINATOR,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _session_page(session.pk, "roster-heading")
    if outcome.confirmed:
        messages.success(request, _("%(who)s is enrolled (confirmed).") % {"who": _who(learner)})
    else:
        messages.success(
            request,
            _("The session is full: %(who)s was added to the waitlist at position %(n)d.")
            % {"who": _who(learner), "n": outcome.position or 0},
        )
    return _session_page(session.pk, "roster-heading")


@require_http_methods(["GET", "POST"])
@policy_required("registration", "bulk_enrol")
def bulk_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste or upload addresses; every address ends up in exactly one list of the report:
    confirmed, waitlisted (with position), unknown, or refused (with the reason)."""
    session = _visible_session(request, pk)
    form = BulkEnrolForm(request.POST or None, request.FILES or None)
    outcome = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            outcome = registration_bulk_enrol(
                session_id=session.pk,
                emails=form.cleaned_data["addresses"],
                enrolled_by=request.user,
            )
            form = BulkEnrolForm()
        else:
            status = 400
    context = {"session": session, "form": form, "outcome": outcome, "seats": seats_for(session)}
    return render(request, "attendance/bulk_enrol.html", context, status=status)


@require_POST
@policy_required("waitlist", "move")
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a learner up or down the waitlist; the reason is required and kept."""
    registration = _registration_for(request, pk, "waitlist", "move")
    form = WaitlistMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _session_page(registration.session_id, "waitlist-heading")
    try:
        waitlist_move(
            registration_id=registration.pk,
            to_position=form.cleaned_data["to_position"],
            moved_by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(who)s is now at position %(n)d on the waitlist.")
            % {"who": _who(registration.learner), "n": form.cleaned_data["to_position"]},
        )
    return _session_page(registration.session_id, "waitlist-heading")


@require_http_methods(["GET", "POST"])
@policy_required("course_waitlist", "delete")
def course_waitlist_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "not interested" link of the any-date waitlist email: GET asks, POST leaves."""
    try:
        entry_id = read_course_waitlist_token(token, max_age=OFFER_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return _offer_link_invalid(request)
    entry = CourseWaitlistEntry.objects.select_related("course").filter(pk=entry_id).first()
    if entry is None:
        return _offer_link_invalid(request)
    if entry.learner_id != request.user.pk:
        context = {"reason": "other_account"}
        return render(request, "attendance/offer_invalid.html", context, status=403)
    waiting = entry.status in (CourseWaitlistStatus.WAITING, CourseWaitlistStatus.OFFERED)
    if request.method == "POST" and waiting:
        try:
            course_waitlist_leave(entry_id=entry.pk, learner=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("You left the any-date waitlist of %(course)s.") % {"course": entry.course.title},
            )
            return redirect("attendance:my-training")
        entry.refresh_from_db()
        waiting = False
    context = {"entry": entry, "waiting": waiting, "token": token}
    return render(request, "attendance/course_waitlist_leave.html", context)
