"""Self check-in pages: the instructor's panel for a block (the code, large, and a QR code of
the check-in page's URL with the code filled in, refreshed by htmx polling as the code
rotates) and the learner's check-in page (`/check-in/`, one field, one tap).

A GET never writes: the QR code opens the learner's page with the code filled in, and the
learner still presses "Check in". Rules live in `attendance.services.check_in`; the panel is
for coordinators and for the instructors of the session (`check_in.code` in the policy table),
the check-in itself for learners (`check_in.create`).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import cast

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from attendance.access import may_show_code
from attendance.checkin_codes import (
    CODE_DIGITS,
    CODE_SECONDS,
    check_in_window,
    code_at,
    code_changes_at,
    grace,
    window_index,
)
from attendance.models import AttendanceRecord, AttendanceSource, Registration, RegistrationStatus
from attendance.services.check_in import attendance_check_in, clock_text
from scheduling.models import BlockStatus, DeliveryMode, Session, SessionBlock
from scheduling.selectors import session_get_for
from tms.exceptions import DomainError
from tms.timezones import reader_zone
from tms.views import policy_required

# The panel asks for the code this often (it changes every CODE_SECONDS).
POLL_SECONDS = 5


# --- Shared: what the panel shows (who may show it: `attendance.access.may_show_code`) --------


def panel_block(session: Session, block_pk: int) -> SessionBlock:
    try:
        return session.blocks.get(pk=block_pk, status=BlockStatus.ACTIVE)
    except SessionBlock.DoesNotExist:
        raise Http404(_("No such block.")) from None


def check_in_url(request: HttpRequest, code: str) -> str:
    """The absolute URL a QR code carries: the learner's page with the code filled in."""
    page = reverse("attendance:check-in")
    return request.build_absolute_uri(f"{page}?{urlencode({'code': code})}")


def qr_svg(url: str) -> bytes:
    """A QR code of `url` as a standalone SVG (no external references, scalable)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", border=2, light="#fff", dark="#000", omitsize=True, title=_("Check-in")
    )
    return out.getvalue()


@dataclass(frozen=True)
class Panel:
    """What the panel shows at `now`, with times as the reader reads them."""

    state: str  # before, open, after
    code: str | None
    window: int
    opens_text: str
    closes_text: str
    changes_text: str
    checked_in: int
    confirmed: int
    grace_minutes: int  # at each edge of the block

    @property
    def code_groups(self) -> str:
        return f"{self.code[:3]} {self.code[3:]}" if self.code else ""


def panel_for(block: SessionBlock, *, zone: str, now: dt.datetime) -> Panel:
    window = check_in_window(block)
    state = window.state(now)
    index = window_index(now)
    return Panel(
        state=state,
        code=code_at(block.pk, index) if state == "open" else None,
        window=index,
        opens_text=clock_text(window.opens, zone, now),
        closes_text=clock_text(window.closes, zone, now),
        changes_text=clock_text(code_changes_at(now), zone, now),
        checked_in=AttendanceRecord.objects.filter(
            block=block, source=AttendanceSource.CHECK_IN
        ).count(),
        confirmed=Registration.objects.filter(
            session_id=block.session_id, status=RegistrationStatus.CONFIRMED
        ).count(),
        grace_minutes=int(grace().total_seconds()) // 60,
    )


def _session_for_panel(request: HttpRequest, pk: int) -> Session:
    try:
        session = session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None
    if not may_show_code(request.user, session):
        raise PermissionDenied
    if session.delivery_mode != DeliveryMode.ILT:
        # Online sessions take attendance from the meeting's participant report.
        raise Http404(_("Self check-in is for sessions in a room."))
    return session


def _zone(request: HttpRequest, session: Session) -> str:
    return reader_zone(request.user, session.time_zone, browser_zone=request.COOKIES.get("tz"))


# --- The instructor's panel ------------------------------------------------------------------


@require_GET
@policy_required("check_in", "code")
def check_in_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster's "Check-in" link: the panel of the block whose check-in is open now, else
    of the next block, else of the last one."""
    session = _session_for_panel(request, pk)
    now = timezone.now()
    blocks = list(session.blocks.filter(status=BlockStatus.ACTIVE).order_by("starts_at", "pk"))
    if not blocks:
        raise Http404(_("This session has no active blocks."))
    chosen = next((b for b in blocks if check_in_window(b).state(now) != "after"), blocks[-1])
    return redirect("attendance:check-in-panel", pk=session.pk, block_pk=chosen.pk)


@require_GET
@policy_required("check_in", "code")
def check_in_panel(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    session = _session_for_panel(request, pk)
    block = panel_block(session, block_pk)
    zone = _zone(request, session)
    blocks = list(session.blocks.filter(status=BlockStatus.ACTIVE).order_by("starts_at", "pk"))
    return render(
        request,
        "attendance/check_in_panel.html",
        {
            "session": session,
            "cblock": block,  # not "block": inside {% block %} that name is the template's
            "blocks": blocks,
            "panel": panel_for(block, zone=zone, now=timezone.now()),
            "poll_seconds": POLL_SECONDS,
            "check_in_page": request.build_absolute_uri(reverse("attendance:check-in")),
        },
    )


@require_GET
@policy_required("check_in", "code")
def check_in_panel_code(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    """The panel's code part alone (htmx polls it)."""
    session = _session_for_panel(request, pk)
    block = panel_block(session, block_pk)
    return render(
        request,
        "attendance/partials/check_in_code.html",
        {
            "session": session,
            "cblock": block,  # not "block": inside {% block %} that name is the template's
            "panel": panel_for(block, zone=_zone(request, session), now=timezone.now()),
            "poll_seconds": POLL_SECONDS,
        },
    )


@require_GET
@policy_required("check_in", "code")
def check_in_qr(request: HttpRequest, pk: int, block_pk: int) -> HttpResponse:
    """The QR code (SVG) of the check-in URL with the code of window `w` (the current or the
    previous one; anything else gets the current code). 404 while check-in is not open."""
    session = _session_for_panel(request, pk)
    block = panel_block(session, block_pk)
    now = timezone.now()
    if check_in_window(block).state(now) != "open":
        raise Http404(_("Check-in is not open for this block."))
    current = window_index(now)
    asked = request.GET.get("w", "")
    index = int(asked) if asked.isdigit() and int(asked) in (current, current - 1) else current
    response = HttpResponse(
        qr_svg(check_in_url(request, code_at(block.pk, index))), content_type="image/svg+xml"
    )
    response["Cache-Control"] = f"private, max-age={2 * CODE_SECONDS}"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --- The learner's check-in ------------------------------------------------------------------


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=20,
        help_text=gettext_lazy("The %(n)d digits your instructor shows.") % {"n": CODE_DIGITS},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "class": "check-in-field",
                "spellcheck": "false",
            }
        ),
    )


_STATUS_FOR_FORM_ERROR = 400


@require_http_methods(["GET", "POST"])
@policy_required("check_in", "create")
def check_in(request: HttpRequest) -> HttpResponse:
    """GET: the form (the code from a QR code's `?code=` filled in, nothing written). POST:
    check in through the service, then back here with the result."""
    if request.method == "GET":
        form = CheckInForm(initial={"code": request.GET.get("code", "")[:20]})
        return render(request, "attendance/check_in.html", {"form": form})
    form = CheckInForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            result = attendance_check_in(
                learner=cast(User, request.user),  # signed in: policy_required
                code=form.cleaned_data["code"],
                now=timezone.now(),
                zone=request.COOKIES.get("tz") or None,
            )
        except DomainError as error:
            form.add_error("code", error.message)
            status = int(error.status_code)
        else:
            block = result.block
            zone = reader_zone(
                request.user, block.session.time_zone, browser_zone=request.COOKIES.get("tz")
            )
            when = clock_text(result.record.recorded_at, zone, result.record.recorded_at)
            text = (
                _("You are checked in to %(course)s at %(time)s (late).")
                if result.late
                else _("You are checked in to %(course)s at %(time)s.")
            )
            messages.success(request, text % {"course": block.session.course.title, "time": when})
            return redirect("attendance:check-in")
    else:
        status = _STATUS_FOR_FORM_ERROR
    return render(request, "attendance/check_in.html", {"form": form}, status=status)
