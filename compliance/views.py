"""Pages: the learner's certificates (with their own compliance status), the PDF download and
the compliance matrix for coordinators and auditors. Thin: policy guard, selector, template."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from compliance.certificates import certificate_filename, certificate_pdf
from compliance.forms import MatrixFilterForm
from compliance.matrix import MatrixRow, MatrixStatus, matrix_rows, worst
from compliance.models import LearnerCertification
from compliance.selectors import learner_certification_list, my_certificates
from tms.timezones import preferred_zone
from tms.views import can, policy_required

STATUS_LABELS = dict(MatrixStatus.choices)


@require_GET
@policy_required("learner_certification", "list")
def my_certificates_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    certificates = list(my_certificates(request.user))
    rows = matrix_rows(learner_id=request.user.pk, now=now)
    context = {
        "certificates": certificates,
        "requirements": _grid(rows)[0],
        "now": now,
        "status_labels": STATUS_LABELS,
    }
    return render(request, "compliance/my_certificates.html", context)


@require_GET
@policy_required("learner_certification", "retrieve")
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Coordinators and auditors any certificate, learners their own; others' are 404."""
    try:
        certificate = learner_certification_list(request.user, action="retrieve").get(
            pk=pk, revoked_at__isnull=True
        )
    except LearnerCertification.DoesNotExist:
        raise Http404 from None
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate_filename(certificate)}"'
    return response


def _grid(rows: list[MatrixRow]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Rows grouped as the page draws them: per requirement, its certifications (columns) and
    one line per person with a cell per certification and the person's overall status."""
    requirements: OrderedDict[int, dict[str, Any]] = OrderedDict()
    counts = dict.fromkeys(MatrixStatus.values, 0)
    for row in rows:
        counts[row.status] += 1
        section = requirements.setdefault(
            row.requirement_id,
            {"id": row.requirement_id, "name": row.requirement_name, "columns": {}, "people": {}},
        )
        section["columns"].setdefault(
            row.certification_id, (row.certification_code, row.certification_name)
        )
        person = section["people"].setdefault(
            row.learner_id,
            {
                "id": row.learner_id,
                "name": row.learner_name,
                "email": row.learner_email,
                "department": row.department,
                "cells": {},
            },
        )
        person["cells"][row.certification_id] = row
    grid = []
    for section in requirements.values():
        columns = list(section["columns"].items())
        people = []
        for person in section["people"].values():
            cells = [person["cells"].get(cid) for cid, _name in columns]
            overall = worst(c.status for c in cells if c is not None)
            people.append({**person, "cells": cells, "overall": overall})
        grid.append({**section, "columns": columns, "people": people})
    return grid, counts


@require_GET
@policy_required("compliance_matrix", "retrieve", everyone=True)
def matrix_page(request: HttpRequest) -> HttpResponse:
    form = MatrixFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound:
        data = form.cleaned_data
        if data["requirement"] is not None:
            filters["requirement_ids"] = [data["requirement"].pk]
        filters["department"] = data["department"]
        filters["status"] = data["status"]
    grid, counts = _grid(matrix_rows(**filters, now=timezone.now()) if status == 200 else [])
    context = {
        "form": form,
        "grid": grid,
        "counts": [(value, STATUS_LABELS[value], counts[value]) for value in MatrixStatus.values],
        "status_labels": STATUS_LABELS,
        # The reader's zone when they chose one; else each certificate's session's zone.
        "reader_tz": preferred_zone(request.user) or "",
        "can_see_learner_records": can(request.user, "learner_record", "retrieve"),
    }
    return render(request, "compliance/matrix.html", context, status=status)
