"""Pages and helpers every app shares: the role guard for views, the viewer's time zone,
sign-in, sign-out and the user's own settings (the home page is tms.home)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tms.exceptions import DomainError
from tms.forms import SettingsForm
from tms.services import profile_set_time_zone
from tms.timezones import preferred_zone


def policy_required(
    resource: str, action: str, *, everyone: bool = False
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Guard a page with the same policy table as the API (`tms.permissions.POLICY`).

    Anonymous users go to sign-in; signed-in users whose roles the table does not grant
    `action` on `resource` get 403. Which objects they may see is still decided by the
    selectors (an invisible session is a 404). The template hides what a role cannot do; the
    view refuses it. tests/web/test_access.py walks every page route to check each has a rule.

    `everyone=True` is for pages that act on anyone's records (the management pages): they need
    the rule's whole scope, so an instructor allowed their *own* unavailability is refused there.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scope = scope_for(request.user, resource, action)
            if scope is None or (everyone and scope != "all"):
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
    """The zone to show "your time" in where no session's zone applies (filter dates, the
    settings form): `tms.timezones.preferred_zone` (settings, an instructor's home zone, the
    browser's zone from the `tz` cookie set by static/js/app.js), else the site default."""
    chosen = preferred_zone(request.user, browser_zone=request.COOKIES.get("tz"))
    return zoneinfo.ZoneInfo(chosen or settings.TIME_ZONE)


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
