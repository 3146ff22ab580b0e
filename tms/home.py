"""The home page: a section per role the user holds. Like the URL root, it composes the apps
(tms's other modules import none of them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from attendance.bookings import learner_bookings
from attendance.selectors import awaiting_sign_off
from scheduling.models import AssignmentRole, BlockStatus, DeliveryMode, SessionStatus
from scheduling.selectors import session_list_for
from scheduling.views import session_rows
from tms.roles import Role, roles_of


def _draft_gaps(session: Any) -> list[str]:
    """What a draft still needs before it can be published (from prefetched rows)."""
    gaps = []
    if not any(a.role == AssignmentRole.LEAD for a in session.assignments.all()):
        gaps.append("lead")
    active = [b for b in session.blocks.all() if b.status == BlockStatus.ACTIVE]
    if session.delivery_mode == DeliveryMode.ILT and any(b.room_id is None for b in active):
        gaps.append("room")
    if session.delivery_mode == DeliveryMode.VILT and session.host_account_id is None:
        gaps.append("host_account")
    return gaps


HOME_LIST_SIZE = 8


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One page, a section per role the user holds (most users hold one)."""
    held = roles_of(request.user)
    now = timezone.now()
    visible = session_list_for(request.user)
    upcoming = visible.filter(ends_at__gte=now).exclude(status=SessionStatus.CANCELLED)
    context: dict[str, Any] = {"now": now}

    if Role.COORDINATOR in held:
        context["coordinator_upcoming"] = session_rows(
            upcoming.filter(status=SessionStatus.SCHEDULED)[:HOME_LIST_SIZE]
        )
        drafts = []
        for session in upcoming.filter(status=SessionStatus.DRAFT)[:50]:
            gaps = _draft_gaps(session)
            if gaps:
                drafts.append({"session": session, "gaps": gaps})
        context["drafts_needing_attention"] = drafts[:HOME_LIST_SIZE]
        context["drafts_needing_attention_count"] = len(drafts)
        context["draft_count"] = upcoming.filter(status=SessionStatus.DRAFT).count()
        context["week_count"] = upcoming.filter(starts_at__lt=now + dt.timedelta(days=7)).count()

    if Role.COORDINATOR in held or Role.INSTRUCTOR in held:
        # Attendance to submit: the sessions one teaches; coordinators see every session's.
        taught = (
            visible
            if Role.COORDINATOR in held
            else visible.filter(assignments__instructor__user=request.user)
        )
        pending = awaiting_sign_off(taught, ended_by=now)
        context["sign_off_pending"] = list(pending.select_related("course")[:HOME_LIST_SIZE])
        context["sign_off_pending_count"] = pending.count()

    if Role.INSTRUCTOR in held:
        mine = upcoming.filter(assignments__instructor__user=request.user)[:HOME_LIST_SIZE]
        context["my_assignments"] = [
            {
                "session": session,
                "assignment": next(
                    a for a in session.assignments.all() if a.instructor.user_id == request.user.pk
                ),
            }
            for session in mine
        ]

    if Role.LEARNER in held and Role.COORDINATOR not in held:
        context["bookings"] = learner_bookings(request.user, now=now)
        context["catalog"] = session_rows(
            upcoming.filter(status=SessionStatus.SCHEDULED, starts_at__gte=now)[:HOME_LIST_SIZE]
        )

    if Role.AUDITOR in held:
        counts = dict(
            visible.order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        context["status_counts"] = [
            {"status": status, "label": label, "count": counts.get(status, 0)}
            for status, label in SessionStatus.choices
        ]
        if Role.COORDINATOR not in held:
            context["auditor_upcoming"] = session_rows(upcoming[:HOME_LIST_SIZE])

    return render(request, "tms/home.html", context)
