"""A learner's record for auditors and coordinators (`compliance:learner-record`): their
registrations with attendance per block and outcome, certificates, requirements status, and
the history of the learner, their registrations, attendance, completions and certificates.
Read-only. A constant number of queries whatever the number of rows (tested)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from attendance.learner_accounts import learner_get
from attendance.models import AttendanceRecord, Completion, Registration
from attendance.selectors import registrations_of, with_attendance_records
from compliance.audit_views import combined_history, log_url, may_read_history
from compliance.matrix import matrix_rows
from compliance.models import LearnerCertification
from compliance.views import STATUS_LABELS, _grid
from scheduling.models import SessionBlock
from tms.timezones import preferred_zone
from tms.views import policy_required, viewer_zone


def _table(model: type) -> str:
    return model._meta.db_table  # type: ignore[attr-defined, no-any-return]


@require_GET
@policy_required("learner_record", "retrieve")
def learner_record(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        learner = learner_get(pk)
    except User.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    registrations = list(
        registrations_of(learner).prefetch_related(
            Prefetch("session__blocks", queryset=SessionBlock.objects.select_related("room__site"))
        )
    )
    with_attendance_records(registrations)
    certificates = list(
        LearnerCertification.objects.filter(learner=learner).select_related(
            "certification", "completion__registration__session__course"
        )
    )
    keys: list[tuple[str, int | str]] = [(_table(User), learner.pk)]
    for registration in registrations:
        keys.append((_table(Registration), registration.pk))
        completion = getattr(registration, "completion", None)
        if completion is not None:
            keys.append((_table(Completion), completion.pk))
        keys += [
            (_table(AttendanceRecord), item.record.pk)
            for item in registration.block_attendance  # type: ignore[attr-defined]
            if item.record is not None
        ]
    keys += [(_table(LearnerCertification), certificate.pk) for certificate in certificates]
    zone = viewer_zone(request)
    context = {
        "learner": learner,
        "registrations": registrations,
        "certificates": certificates,
        "requirements": _grid(matrix_rows(learner_id=learner.pk, now=now))[0],
        "status_labels": STATUS_LABELS,
        "now": now,
        "reader_tz": preferred_zone(request.user) or "",
        "viewer_zone": zone,
        "history": combined_history(zone, keys, log_url=log_url(_table(User), learner.pk))
        if may_read_history(request.user)
        else None,
    }
    return render(request, "compliance/learner_record.html", context)
