"""Participant report pages (VILT): a session's reports per block, the upload form for one
block, and an import's result with a form per participant to say who they are.

Views are thin: the policy rule (`participant_report`), the block through its session
(`attendance.access.may_use_reports`: coordinators any, auditors read any, instructors the
sessions they teach; others: 404), a form, one service
call. A refused file comes back as the form's error (400), naming the line; nothing was
written then."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance.access import may_use_reports
from attendance.models import AttendanceSignOff, ParticipantReport, ParticipantReportEntry
from attendance.participant_report_forms import EntryResolveForm, ReportUploadForm
from attendance.participant_report_selectors import (
    block_attendance,
    block_for_reports,
    block_reports,
    confirmed_registrations,
    entry_get,
    report_entries,
    report_get,
)
from attendance.services.participant_import import (
    GRACE_MINUTES,
    ImportResult,
    participant_entry_resolve,
    participant_report_import,
)
from scheduling.models import BlockStatus, DeliveryMode, Session, SessionBlock
from scheduling.selectors import session_get_for
from tms.exceptions import DomainError
from tms.views import policy_required

# What imports and resolves: attendance's own services, or ones that wrap them (compliance
# certifies too); the composition root (tms/web_urls.py) passes the wrappers.
ReportImport = Callable[..., ImportResult]
EntryResolve = Callable[..., ParticipantReportEntry]


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind `policy_required`)."""
    return cast(User, request.user)


def _block(request: HttpRequest, pk: int, action: str) -> SessionBlock:
    try:
        block = block_for_reports(pk)
    except SessionBlock.DoesNotExist:
        raise Http404(_("No such block.")) from None
    if not may_use_reports(request.user, block.session, action):
        raise Http404(_("No such block."))
    return block


def _signed_off(block: SessionBlock) -> bool:
    return AttendanceSignOff.objects.filter(session_id=block.session_id).exists()


def _apply_errors(form: Any, error: DomainError, field: str) -> None:
    placed = False
    for name, problems in error.fields.items():
        for problem in problems:
            target = name if name in form.fields else field if field in form.fields else None
            form.add_error(target, problem)
            placed = True
    if not placed:
        form.add_error(field if field in form.fields else None, error.message)


@policy_required("participant_report", "retrieve")
def session_reports(request: HttpRequest, pk: int) -> HttpResponse:
    """A VILT session's blocks with their imported reports and a link to import one."""
    try:
        session: Session = session_get_for(request.user, pk)
    except Session.DoesNotExist:
        raise Http404(_("No such session.")) from None
    if not may_use_reports(request.user, session, "retrieve"):
        raise Http404(_("No such session."))
    blocks = list(session.blocks.all())
    reports: dict[int, list[ParticipantReport]] = {b.pk: [] for b in blocks}
    for report in ParticipantReport.objects.filter(block__session=session).select_related(
        "imported_by"
    ):
        reports[report.block_id].append(report)
    context = {
        "session": session,
        "vilt": session.delivery_mode == DeliveryMode.VILT,
        "rows": [
            {"block": b, "reports": reports[b.pk], "active": b.status == BlockStatus.ACTIVE}
            for b in blocks
        ],
        "can_import": may_use_reports(request.user, session, "import"),
    }
    return render(request, "attendance/participant_reports/session.html", context)


@policy_required("participant_report", "import")
def import_report(
    request: HttpRequest, pk: int, importer: ReportImport = participant_report_import
) -> HttpResponse:
    """Upload a block's participant report; the result page follows. The composition root
    (tms/web_urls.py) passes `importer`, the door that also certifies a late edit's outcomes."""
    block = _block(request, pk, "import")
    signed_off = _signed_off(block)
    posted = request.method == "POST"
    form = ReportUploadForm(
        request.POST if posted else None, request.FILES if posted else None, signed_off=signed_off
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = importer(
                    block_id=block.pk,
                    file_name=upload.name or "report.csv",
                    data=upload.read(),
                    by=_user(request),
                    now=timezone.now(),
                    reason=form.cleaned_data.get("reason", ""),
                )
            except DomainError as error:
                _apply_errors(form, error, "file")
            else:
                if result.already_imported:
                    messages.info(request, result.message)
                else:
                    messages.success(request, result.message)
                return redirect("attendance:participant-report", result.report.pk)
        status = 400
    context = {
        "report_block": block,
        "session": block.session,
        "form": form,
        "reports": block_reports(block),
        "threshold": block.session.course.attendance_threshold_percent,
        "grace": GRACE_MINUTES,
        "vilt": block.session.delivery_mode == DeliveryMode.VILT,
    }
    return render(request, "attendance/participant_reports/import.html", context, status=status)


def _result_page(
    request: HttpRequest,
    report: ParticipantReport,
    *,
    failed: tuple[int, EntryResolveForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    block = report.block
    can_resolve = may_use_reports(request.user, block.session, "resolve")
    signed_off = _signed_off(block)
    registrations = list(confirmed_registrations(block)) if can_resolve else []
    entries: list[dict[str, Any]] = []
    for entry in report_entries(report):
        form = None
        if can_resolve:
            if failed is not None and failed[0] == entry.pk:
                form = failed[1]
            else:
                initial = {"registration": str(entry.registration_id or "")}
                form = EntryResolveForm(
                    initial=initial,
                    registrations=registrations,
                    signed_off=signed_off,
                    auto_id=f"id_entry{entry.pk}_%s",
                )
        entries.append({"entry": entry, "form": form})
    counts: dict[str, int] = {}
    for row in entries:
        counts[row["entry"].match] = counts.get(row["entry"].match, 0) + 1
    context = {
        "report": report,
        "report_block": block,
        "session": block.session,
        "entries": entries,
        "counts": counts,
        "attendance": block_attendance(block),
        "can_resolve": can_resolve,
        "threshold": block.session.course.attendance_threshold_percent,
    }
    return render(request, "attendance/participant_reports/result.html", context, status=status)


@policy_required("participant_report", "retrieve")
def report_result(request: HttpRequest, pk: int) -> HttpResponse:
    """What an import found: participants by how they were matched, and the attendance."""
    try:
        report = report_get(pk)
    except ParticipantReport.DoesNotExist:
        raise Http404(_("No such report.")) from None
    report.block = _block(request, report.block_id, "retrieve")
    return _result_page(request, report)


@require_POST
@policy_required("participant_report", "resolve")
def resolve_entry(
    request: HttpRequest, pk: int, resolve: EntryResolve = participant_entry_resolve
) -> HttpResponse:
    """Say who a participant is (or ignore them); the learner is marked again at once. The
    composition root passes `resolve`, the door that also certifies."""
    try:
        entry: ParticipantReportEntry = entry_get(pk)
    except ParticipantReportEntry.DoesNotExist:
        raise Http404(_("No such participant.")) from None
    block = _block(request, entry.report.block_id, "resolve")
    report = report_get(entry.report_id)
    report.block = block
    form = EntryResolveForm(
        request.POST,
        registrations=confirmed_registrations(block),
        signed_off=_signed_off(block),
        auto_id=f"id_entry{entry.pk}_%s",
    )
    if form.is_valid():
        try:
            resolve(
                entry_id=entry.pk,
                registration_id=form.chosen_registration(),
                by=_user(request),
                now=timezone.now(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except DomainError as error:
            _apply_errors(form, error, "registration")
        else:
            who = entry.name or entry.email
            if form.chosen_registration() is None:
                messages.success(request, _("%(who)s is set aside (not a learner).") % {"who": who})
            else:
                messages.success(
                    request, _("%(who)s is matched; attendance was updated.") % {"who": who}
                )
            url = reverse("attendance:participant-report", args=[report.pk])
            return redirect(f"{url}#entry-{entry.pk}")
    return _result_page(request, report, failed=(entry.pk, form), status=400)
