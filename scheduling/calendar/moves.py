"""Moving a block from the resource calendar or the session page, and the next free slots when
a plan conflicts.

The timeline's move form (`BlockMoveForm`) is the session page's time and room fields plus the
session form's instructor pickers; the write is `services.block_moves.session_block_move`: the
block's change and the new instructors in one transaction, checked once by the planner. The
session page's own move (`session_page_block_move`, called by `scheduling.views.block_move`)
keeps `BlockChangeForm` and `services.session_reschedule`. When either is refused for a
booking, closure or absence, the page lists the next free weeks at the same weekday and
wall-clock time (`services.suggestions`, partial `block_move_suggestions.html`); each is a
one-click POST of the same page's form with that slot's values (and the chosen instructors),
so applying one goes through the service again and returns where the coordinator came from.

For the new-session form, `session_plan_shift` moves every date of the plan by whole weeks (the
suggestion chosen on the check report) and shows the form again, checked.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from scheduling import services
from scheduling.forms import BlockChangeForm
from scheduling.forms.block_move import BlockMoveForm
from scheduling.models import EDITABLE_STATUSES, BlockStatus, Session, SessionBlock
from scheduling.selectors import session_get_for
from scheduling.services.block_moves import Staffing, session_block_move
from scheduling.services.local_times import ZONE_DIFFERS
from scheduling.services.suggestions import (
    HORIZON_WEEKS,
    Suggestion,
    block_move_suggestions,
)
from tms.exceptions import DomainError
from tms.timezones import reader_span, reader_zone
from tms.views import policy_required


def _back(request: HttpRequest) -> str:
    """Where to return: the timeline page the coordinator came from (a local path only)."""
    back = request.POST.get("back") or request.GET.get("back") or ""
    timeline = reverse("scheduling:resource-calendar")
    if (
        back
        and url_has_allowed_host_and_scheme(back, allowed_hosts=None)
        and urlsplit(back).path == timeline
    ):
        return back
    return timeline


def _with_date(url: str, day: dt.date) -> str:
    """The timeline URL showing the period of `day`."""
    parts = urlsplit(url)
    query = QueryDict(parts.query, mutable=True)
    query["date"] = day.isoformat()
    return f"{parts.path}?{query.urlencode()}"


def _session(request: HttpRequest, pk: int) -> Session:
    try:
        session = session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None
    if session.status not in EDITABLE_STATUSES:
        raise Http404(_("This session can no longer be edited."))
    return session


def _block(session: Session, block_pk: int) -> SessionBlock:
    for block in session.blocks.all():
        if block.pk == block_pk:
            return block
    raise Http404(_("No such block."))


def suggestion_rows(suggestions: list[Suggestion], reader: str) -> list[dict[str, Any]]:
    """Each suggestion with its text for the reader and the values of the move form."""
    rows = []
    for suggestion in suggestions:
        zone = zoneinfo.ZoneInfo(suggestion.time_zone)
        block = suggestion.blocks[0]
        start, end = block.starts_at.astimezone(zone), block.ends_at.astimezone(zone)
        span = reader_span(
            block.starts_at, block.ends_at, reader=reader, venue=suggestion.time_zone
        )
        text = span.reader.text()
        if span.venue is not None:
            text += " " + _("(%(times)s session time)") % {"times": span.venue_text()}
        rows.append(
            {
                "suggestion": suggestion,
                "text": text,
                "date": start.date().isoformat(),
                "starts": f"{start:%H:%M}",
                "ends": f"{end:%H:%M}",
                "room": block.room.pk if block.room is not None else "",
                "warnings": [w.message for w in suggestion.warnings if w.code != ZONE_DIFFERS],
            }
        )
    return rows


def carried_staffing(staffing: Staffing | None) -> list[tuple[str, str]]:
    """The instructors a refused form chose, as hidden fields for the suggestions' forms:
    applying a slot keeps them (checked again then)."""
    if staffing is None:
        return []
    pairs = [("change_instructors", "True")]
    if staffing.lead is not None:
        pairs.append(("lead", str(staffing.lead.pk)))
    pairs += [("co_facilitators", str(p.pk)) for p in staffing.co_facilitators]
    return pairs


@require_http_methods(["GET", "POST"])
@policy_required("session", "reschedule")
def timeline_block_move(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    """Move and/or re-room one block (the session page's form and service); on a refusal for
    a booking, closure or absence, offer the next free weeks at the same time."""
    session = _session(request, pk)
    block = _block(session, block_pk)
    back = _back(request)
    if block.status != BlockStatus.ACTIVE:
        messages.error(request, _("Restore the cancelled block before changing it."))
        return redirect(back)
    form = BlockMoveForm(request.POST or None, session=session, block=block)
    reader = reader_zone(request.user, session.time_zone, browser_zone=request.COOKIES.get("tz"))
    suggestions: list[Suggestion] | None = None
    staffing: Staffing | None = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            change, staffing = form.to_change(block), form.staffing()
            try:
                _session_after, warnings = session_block_move(
                    session_id=session.pk, change=change, staffing=staffing
                )
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
                suggestions = block_move_suggestions(
                    session=session,
                    change=change,
                    now=timezone.now(),
                    instructors=staffing.people() if staffing is not None else None,
                )
            else:
                starts_at, ends_at = form.times()
                span = reader_span(starts_at, ends_at, reader=reader, venue=session.time_zone)
                when = span.reader.text()
                if span.venue is not None:
                    when += " " + _("(%(times)s session time)") % {"times": span.venue_text()}
                messages.success(request, _("Block moved to %s.") % when)
                for finding in warnings:
                    if finding.code != ZONE_DIFFERS:
                        messages.warning(request, finding.message)
                return redirect(
                    _with_date(back, starts_at.astimezone(zoneinfo.ZoneInfo(reader)).date())
                )
    form.annotate_pickers()
    current = reader_span(block.starts_at, block.ends_at, reader=reader, venue=session.time_zone)
    context = {
        "session": session,
        "block": block,
        "form": form,
        "back": back,
        "current": current,
        "suggestions": suggestion_rows(suggestions or [], reader),
        "carried": [("back", back), *carried_staffing(staffing)],
        "apply_url": request.path,
        "searched": suggestions is not None,
        "horizon_weeks": HORIZON_WEEKS,
    }
    return render(request, "scheduling/calendar/block_move.html", context, status=status)


def session_page_block_move(
    request: HttpRequest, session: Session, block: SessionBlock
) -> HttpResponse:
    """The session page's block move (`scheduling.views.block_move`): the same form and
    service; a refusal for a booking, closure or absence lists the next free weeks, each a
    one-click POST of this same page, so applying one returns to the session page."""
    form = BlockChangeForm(request.POST or None, session=session, block=block)
    reader = reader_zone(request.user, session.time_zone, browser_zone=request.COOKIES.get("tz"))
    suggestions: list[Suggestion] | None = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            change = form.to_change(block)
            try:
                _session_after, warnings = services.session_reschedule(
                    session_id=session.pk, changes=[change]
                )
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
                suggestions = block_move_suggestions(
                    session=session, change=change, now=timezone.now()
                )
            else:
                messages.success(request, _("Block moved."))
                for finding in warnings:
                    if finding.code != ZONE_DIFFERS:
                        messages.warning(request, finding.message)
                return redirect("scheduling:session-detail", pk=session.pk)
    context = {
        "session": session,
        "editing_block": block,
        "form": form,
        "adding": False,
        "suggestions": suggestion_rows(suggestions or [], reader),
        "searched": suggestions is not None,
        "horizon_weeks": HORIZON_WEEKS,
        "carried": [],
        "apply_url": request.path,
    }
    return render(request, "scheduling/block_form.html", context, status=status)


def _shift_day(value: str, days: int) -> str:
    try:
        day = dt.date.fromisoformat(value)
        return (day + dt.timedelta(days=days)).isoformat()
    except (ValueError, OverflowError):
        return value  # the form reports it


@require_POST
@policy_required("preview", "check")
def session_plan_shift(request: HttpRequest) -> HttpResponse:
    """The new-session form with every date moved `shift_weeks` weeks later (a suggestion of
    the check report), checked again and shown; nothing is saved."""
    from scheduling.views import _plan, _render_plan  # the session form's own page helpers

    try:
        weeks = int(request.POST.get("shift_weeks", ""))
    except ValueError:
        weeks = 0
    data = request.POST.copy()
    data.pop("shift_weeks", None)
    if 1 <= weeks <= HORIZON_WEEKS:
        days = weeks * 7
        for key in list(data):
            if (key.startswith("blocks-") and key.endswith("-date")) or key == "weekly_first_day":
                data[key] = _shift_day(str(data.get(key, "")), days)
    plan = _plan(request, data)
    report = services.evaluate(plan.to_proposal(), now=timezone.now()) if plan.is_valid() else None
    status = 200 if 1 <= weeks <= HORIZON_WEEKS else 400
    return _render_plan(request, plan, report=report, checked=True, status=status)
