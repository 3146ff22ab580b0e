"""The attendance page of a session: per block, one row per confirmed learner with the five
statuses as big buttons, minutes and notes; "All present" for a block; sign-off.

Each change is saved at once: a row is a small form that htmx posts on every change and
replaces with the server's answer (the saved row, or the row with its field messages and a
400/409, the user's choice kept). A save that never got an answer (network, 5xx) is flagged on
the row by static/js/attendance.js, which leaves the choice in place for a retry. Without
JavaScript the same forms post and come back to the page.

Views are thin: the policy table (`attendance` resource), the session through the visibility
selector, who may mark or read (`attendance.access`), one service call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attendance.access import may_mark, may_read_all, may_sign_off
from attendance.attendance_forms import AllPresentForm, MarkForm, SignOffForm
from attendance.attendance_sheet import (
    Row,
    active_blocks,
    completions_of,
    default_block,
    row_get,
    sheet_rows,
    sign_off_of,
    unmarked_count,
)
from attendance.models import AttendanceSource, AttendanceStatus, Registration
from attendance.services.marking import (
    Mark,
    Marked,
    attendance_mark_all_present,
    attendance_mark_outcome,
)
from attendance.services.sign_off import (
    AttendanceIncomplete,
    SignedOff,
    attendance_sign_off,
    minutes_missing_in,
    unmarked_in,
)
from scheduling.models import Session, SessionBlock
from scheduling.selectors import session_get_for
from tms.exceptions import DomainError
from tms.views import policy_required

# What signs off and what marks: attendance's own services, or ones that wrap them (compliance
# certifies too); the composition root (tms/web_urls.py) passes the wrappers.
SignOff = Callable[..., SignedOff]
MarkOne = Callable[..., Marked]
MarkAll = Callable[..., list[Marked]]

STATUS_CHOICES = AttendanceStatus.choices


def _user(request: HttpRequest) -> User:
    """The signed-in user (`policy_required` has sent anyone else to sign in)."""
    return cast(User, request.user)


def _session(request: HttpRequest, pk: int) -> Session:
    try:
        return session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None


def _block(session: Session, block_pk: int) -> SessionBlock:
    block = SessionBlock.objects.filter(session=session, pk=block_pk).first()
    if block is None:
        raise Http404(_("No such block."))
    return block


def _page_url(session: Session, block: SessionBlock | None = None, anchor: str = "") -> str:
    url = reverse("attendance:attendance-sheet", args=[session.pk])
    if block is not None:
        url += f"?block={block.pk}"
    return f"{url}#{anchor}" if anchor else url


def _chosen_block(request: HttpRequest, blocks: list[SessionBlock]) -> SessionBlock | None:
    wanted = request.GET.get("block", "")
    if wanted.isdigit():
        for block in blocks:
            if block.pk == int(wanted):
                return block
    return default_block(blocks, timezone.now())


def _sheet(
    request: HttpRequest,
    session: Session,
    *,
    block: SessionBlock | None = None,
    replaced: Row | None = None,
    sign_off_form: SignOffForm | None = None,
    unmarked: list[Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    blocks = active_blocks(session)
    block = block or _chosen_block(request, blocks)
    rows = sheet_rows(session, block) if block is not None else []
    if replaced is not None:
        rows = [replaced if r.registration.pk == replaced.registration.pk else r for r in rows]
    signed = sign_off_of(session)
    now = timezone.now()
    user = _user(request)
    marker = may_mark(user, session)
    # Under the minutes rule, the late or left-early marks sign-off waits for (with links).
    minutes_missing = (
        minutes_missing_in(session.pk, session.course.completion_rule)
        if signed is None and marker
        else []
    )
    context = {
        "session": session,
        "blocks": blocks,
        # Not "block": a template that extends another has a `block` variable of its own.
        "the_block": block,
        "rows": rows,
        "statuses": STATUS_CHOICES,
        "can_mark": marker and block is not None,
        "sign_off": signed,
        "completions": completions_of(session) if signed else [],
        "can_sign_off": signed is None and may_sign_off(user, session),
        "all_ended": bool(blocks) and all(b.ends_at <= now for b in blocks),
        "unmarked_count": unmarked_count(session, blocks, len(rows))
        if signed is None and marker
        else 0,
        "unmarked": unmarked or [],
        "minutes_missing": minutes_missing,
        "sign_off_form": sign_off_form or SignOffForm(),
        "unmarked_in_block": sum(1 for r in rows if r.record is None),
    }
    return render(request, "attendance/attendance.html", context, status=status)


def _row_response(
    request: HttpRequest, session: Session, block: SessionBlock, row: Row, status: int = 200
) -> HttpResponse:
    context = {
        "session": session,
        "the_block": block,
        "row": row,
        "statuses": STATUS_CHOICES,
        "can_mark": True,
        "sign_off": sign_off_of(session),
    }
    return render(request, "attendance/partials/attendance_row.html", context, status=status)


@require_GET
@policy_required("attendance", "retrieve")
def attendance_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance of one block (`?block=`; by default the one under way or last begun)."""
    session = _session(request, pk)
    if not may_read_all(request.user, session):
        raise PermissionDenied
    return _sheet(request, session)


@require_POST
@policy_required("attendance", "mark")
def attendance_mark_row(
    request: HttpRequest,
    pk: int,
    block_pk: int,
    registration_pk: int,
    mark: MarkOne = attendance_mark_outcome,
) -> HttpResponse:
    """Save one learner's mark in one block; htmx gets the row back (400/409 with messages).
    The composition root passes `mark`, the door that also certifies what a late edit
    changes."""
    session = _session(request, pk)
    if not may_mark(request.user, session):
        raise PermissionDenied
    block = _block(session, block_pk)
    try:
        row = row_get(session, block, registration_pk)
    except Registration.DoesNotExist:
        raise Http404(_("No such learner in this session.")) from None
    form = MarkForm(request.POST)
    typed = Row(
        registration=row.registration,
        record=row.record,
        status=request.POST.get("status", "")[:16],
        minutes=request.POST.get("minutes_attended", "")[:12],
        notes=request.POST.get("notes", "")[:2000],
        reason=request.POST.get("reason", "")[:1000],
    )
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            marked = mark(
                registration=row.registration,
                block=block,
                mark=Mark(data["status"], data["minutes_attended"], data["notes"]),
                source=AttendanceSource.ROSTER,
                recorded_by=_user(request),
                now=timezone.now(),
                reason=data["reason"],
            )
        except DomainError as error:
            # The rule's message, then what it says about each field.
            typed.errors = {"__all__": [error.message], **error.fields}
            status = int(error.status_code)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("Saved: %(who)s.") % {"who": row.learner_name})
                return redirect(_page_url(session, block, f"row-{block.pk}-{row.registration.pk}"))
            saved = row_get(session, block, registration_pk)
            saved.saved = True
            saved.completion = marked.completion
            return _row_response(request, session, block, saved)
    else:
        typed.errors = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
    if request.htmx:  # type: ignore[attr-defined]
        return _row_response(request, session, block, typed, status=status)
    return _sheet(request, session, block=block, replaced=typed, status=status)


@require_POST
@policy_required("attendance", "mark")
def attendance_all_present(
    request: HttpRequest, pk: int, block_pk: int, mark_all: MarkAll = attendance_mark_all_present
) -> HttpResponse:
    """Mark everyone still unmarked in the block present (exceptions are marked after). The
    composition root passes `mark_all`, the door that also certifies."""
    session = _session(request, pk)
    if not may_mark(request.user, session):
        raise PermissionDenied
    block = _block(session, block_pk)
    form = AllPresentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is at most 500 characters."))
        return redirect(_page_url(session, block))
    try:
        marked = mark_all(
            block=block,
            recorded_by=_user(request),
            now=timezone.now(),
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(n)d learner(s) marked present.") % {"n": len(marked)})
    return redirect(_page_url(session, block, "attendance-rows"))


@require_POST
@policy_required("attendance", "sign_off")
def attendance_sign_off_page(
    request: HttpRequest, pk: int, sign_off: SignOff = attendance_sign_off
) -> HttpResponse:
    """Submit the session's attendance (lead instructor, or a coordinator on their behalf).
    The composition root (tms/web_urls.py) passes `sign_off`, the door that also certifies."""
    session = _session(request, pk)
    if not may_sign_off(_user(request), session):
        raise PermissionDenied
    form = SignOffForm(request.POST)
    if not form.is_valid():  # pragma: no cover - a checkbox cannot be invalid
        return _sheet(request, session, sign_off_form=form, status=400)
    try:
        done = sign_off(
            session_id=session.pk,
            by=_user(request),
            now=timezone.now(),
            absent_unmarked=form.cleaned_data["absent_unmarked"],
        )
    except AttendanceIncomplete as error:
        form.add_error(None, error.message)
        return _sheet(
            request,
            session,
            sign_off_form=form,
            unmarked=unmarked_in(session.pk),
            status=int(error.status_code),
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _sheet(request, session, sign_off_form=form, status=int(error.status_code))
    completed = sum(1 for change in done.completions if change.completed)
    messages.success(
        request,
        _("Attendance signed off: %(done)d completed, %(not)d not completed.")
        % {"done": completed, "not": len(done.completions) - completed},
    )
    return redirect(_page_url(session, anchor="sign-off-heading"))
