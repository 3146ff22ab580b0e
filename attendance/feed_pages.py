"""The "Calendar subscriptions" page: a learner's and an instructor's own feeds, and for
coordinators every room and site feed (and every active token, to revoke).

A token's URL is shown once, on the page that answers the POST that issued it (only its hash is
stored). Regenerating is issuing again: the previous token is revoked in the same transaction.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from instructors.models import Instructor
from scheduling.models import FeedKind, FeedToken
from scheduling.services.feed_tokens import (
    FRESH_FEED_KEY,
    feed_subscription,
    feed_token_issue,
    feed_token_revoke,
    feed_tokens_visible_to,
)
from tms.exceptions import DomainError
from tms.links import absolute_link
from tms.roles import Role, roles_of
from tms.views import can, policy_required, viewer_zone
from venues.models import Room, Site


class FeedIssueForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Calendar"), choices=FeedKind.choices)
    owner = forms.IntegerField(label=gettext_lazy("Of"), min_value=1)


class ResourceFeedForm(forms.Form):
    """A coordinator picks a room or a site ("room:3", "site:1")."""

    resource = forms.ChoiceField(label=gettext_lazy("Room or site"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = list(Site.objects.order_by("name"))
        rooms = list(Room.objects.select_related("site").order_by("site__name", "name"))
        field = cast(forms.ChoiceField, self.fields["resource"])
        field.choices = [
            (_("Sites"), [(f"site:{s.pk}", s.name) for s in sites]),
            (_("Rooms"), [(f"room:{r.pk}", f"{r.name}, {r.site.name}") for r in rooms]),
        ]


def feed_urls(raw: str) -> dict[str, str]:
    """The feed's https (or configured SITE_URL) address and its webcal:// twin."""
    url = absolute_link("calendar-feed", raw)
    return {"url": url, "webcal": "webcal://" + url.split("://", 1)[-1]}


def _page(
    request: HttpRequest,
    *,
    fresh: dict[str, Any] | None = None,
    status: int = 200,
    form: Any = None,
) -> HttpResponse:
    user = request.user
    roles = roles_of(user)
    user_id = int(user.pk or 0)  # signed in: policy_required
    own: list[dict[str, Any]] = []
    if Role.LEARNER in roles:
        own.append(
            {
                **feed_subscription(kind=FeedKind.LEARNER, owner_id=user_id),
                "label": _("My training"),
            }
        )
    instructor = Instructor.objects.filter(user_id=user_id).first()
    if instructor is not None and Role.INSTRUCTOR in roles:
        own.append(
            {
                **feed_subscription(kind=FeedKind.INSTRUCTOR, owner_id=instructor.pk),
                "label": _("My teaching"),
            }
        )
    coordinator = Role.COORDINATOR in roles
    context = {
        "own": own,
        "fresh": fresh,
        "coordinator": coordinator,
        "resource_form": (form or ResourceFeedForm()) if coordinator else None,
        "tokens": list(feed_tokens_visible_to(user)),
        "zone": viewer_zone(request).key,
        "can_manage": can(user, "calendar_feed", "manage"),
    }
    return render(request, "attendance/calendar_feeds.html", context, status=status)


@require_GET
@policy_required("calendar_feed", "list")
def subscriptions(request: HttpRequest) -> HttpResponse:
    return _page(request, fresh=request.session.pop(FRESH_FEED_KEY, None))


def _issue(request: HttpRequest, kind: str, owner_id: int) -> HttpResponse:
    try:
        _token, raw = feed_token_issue(
            actor=request.user, kind=kind, owner_id=owner_id, now=timezone.now()
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _page(request, status=int(error.status_code))
    # Post/redirect/get: the next page shows the URL once (here, or a calendar page's
    # subscribe block, templatetags/feed_subscribe), so reloading it issues nothing.
    request.session[FRESH_FEED_KEY] = {"kind": kind, "owner_id": owner_id, **feed_urls(raw)}
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("feeds:subscriptions")


@require_POST
@policy_required("calendar_feed", "manage")
def issue(request: HttpRequest) -> HttpResponse:
    """Issue (or regenerate) a feed; the page shows its URL this once."""
    form = FeedIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose which calendar to subscribe to."))
        return _page(request, status=400)
    return _issue(request, form.cleaned_data["kind"], form.cleaned_data["owner"])


@require_POST
@policy_required("calendar_feed", "manage")
def issue_resource(request: HttpRequest) -> HttpResponse:
    """A coordinator's room or site feed, picked from the list."""
    form = ResourceFeedForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, form=form)
    kind, _sep, owner = form.cleaned_data["resource"].partition(":")
    return _issue(request, kind, int(owner))


@require_POST
@policy_required("calendar_feed", "manage")
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token: FeedToken = feed_token_revoke(actor=request.user, token_id=pk, now=timezone.now())
    except DomainError as error:
        messages.error(request, error.message)
        return _page(request, status=int(error.status_code))
    messages.success(
        request, _("The subscription %s… is revoked: its URL no longer works.") % token.hint
    )
    return redirect("feeds:subscriptions")
