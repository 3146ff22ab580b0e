"""Pages every role shares: sign-in, the home page per role, and the role guard for views."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import AssignmentRole, BlockStatus, DeliveryMode, SessionStatus
from scheduling.selectors import session_list_for
from tms.exceptions import DomainError
from tms.forms import SettingsForm
from tms.roles import Role, roles_of
from tms.services import profile_set_time_zone


def policy_required(
    resource: str, action: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a page with the same policy table as the API (`tms.permissions.POLICY`).

    Anonymous users go to sign-in; signed-in users whose roles the table does not grant
    `action` on `resource` get 403. Which objects they may see is still decided by the
    selectors (an invisible session is a 404). The template hides what a role cannot do; the
    view refuses it. tests/web/test_access.py walks every page route to check each has a rule.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if scope_for(request.user, resource, action) is None:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.page_policy = (resource, action)  # type: ignore[attr-defined]
        return login_required(guarded)

    return decorator


def scope_for(user: Any, resource: str, action: str) -> Any:
    # Imported late: tms.permissions imports rest_framework.views, whose APIView class body
    # imports tms.permissions.PolicyPermission (DEFAULT_PERMISSION_CLASSES). Importing it first
    # from here, while URLs load, would hit that cycle half-way.
    from tms.permissions import scope_for as policy_scope_for

    return policy_scope_for(user, resource, action)


def can(user: Any, resource: str, action: str) -> bool:
    """For templates and views: may this user do `action` on `resource` at all?"""
    return scope_for(user, resource, action) is not None


def viewer_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    """The zone to show "your time" in: the one chosen in the user's settings, else an
    instructor's home zone, else the browser's zone (a `tz` cookie set by static/js/app.js),
    else the site default."""
    signed_in = request.user.is_authenticated
    chosen = getattr(request.user, "profile", None) if signed_in else None
    instructor = getattr(request.user, "instructor_profile", None) if signed_in else None
    candidates = [
        getattr(chosen, "time_zone", None),
        getattr(instructor, "home_time_zone", None),
        request.COOKIES.get("tz"),
        settings.TIME_ZONE,
    ]
    for name in candidates:
        if not name:
            continue
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


@login_required
def my_settings(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own settings (every user, whatever their role): the time zone of
    their emails, reminders, invites and pages."""
    form = SettingsForm(request.POST or None, initial={"time_zone": viewer_zone(request).key})
    if request.method == "POST" and form.is_valid():
        try:
            profile_set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your settings are saved."))
            return redirect("settings")
    status = 400 if form.errors else 200
    return render(request, "tms/settings.html", {"form": form}, status=status)


class SignInView(auth_views.LoginView):
    """Django's sign-in; django-axes counts failures and shows registration/locked_out.html."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST (a form in the header), never a link."""

    http_method_names = ["post", "options"]


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
    # scheduling.views imports this module (policy_required): import it late to avoid a cycle.
    from scheduling.views import session_rows

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
