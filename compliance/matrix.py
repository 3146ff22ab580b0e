"""The compliance matrix: for each requirement, each person in its audience and each
certification it asks for, where they stand, with the evidence.

Statuses (`MatrixStatus`): *compliant* (a current certificate that does not expire within the
requirement's `expiring_soon_days`, or never expires), *expiring soon*, *overdue* (the current
certificate has expired) and *never done* (no certificate, or only revoked ones).

`matrix_rows(...)` is the stable selector for pages, the API and exports: plain `MatrixRow`s,
one per (requirement, person, certification), in requirement, name and certification order.
It reads in a constant number of queries whatever the number of requirements and people
(tests/compliance/test_matrix.py pins it): the requirements with their certifications, their
chosen people, the audience with each person's roles and department, and the current
certificates with their evidence. `certificate_rows(...)` streams the issued certificates
themselves (current, superseded and revoked) as plain `CertificateRow`s, for exports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import AudienceKind, LearnerCertification, Requirement


class MatrixStatus(models.TextChoices):
    COMPLIANT = "compliant", _("Compliant")
    EXPIRING_SOON = "expiring_soon", _("Expiring soon")
    OVERDUE = "overdue", _("Overdue")
    NEVER_DONE = "never_done", _("Never done")


# Worst first: a person's status for a requirement is the worst of its certifications'.
SEVERITY = [
    MatrixStatus.NEVER_DONE,
    MatrixStatus.OVERDUE,
    MatrixStatus.EXPIRING_SOON,
    MatrixStatus.COMPLIANT,
]


@dataclass(frozen=True)
class MatrixRow:
    requirement_id: int
    requirement_name: str
    learner_id: int
    learner_name: str
    learner_email: str
    department: str
    certification_id: int
    certification_code: str
    certification_name: str
    status: str
    # The evidence: the current certificate and the session whose completion earned it.
    certificate_id: int | None = None
    certificate_number: str = ""
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    completion_id: int | None = None
    registration_id: int | None = None
    session_id: int | None = None
    session_time_zone: str = ""
    course_code: str = ""
    course_title: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def certificate_status(
    certificate: LearnerCertification | None, *, soon_days: int, now: dt.datetime
) -> str:
    """Where one (current) certificate leaves its holder."""
    if certificate is None:
        return MatrixStatus.NEVER_DONE
    if certificate.expires_at is None:
        return MatrixStatus.COMPLIANT
    if certificate.expires_at <= now:
        return MatrixStatus.OVERDUE
    if certificate.expires_at <= now + dt.timedelta(days=soon_days):
        return MatrixStatus.EXPIRING_SOON
    return MatrixStatus.COMPLIANT


def worst(statuses: Iterable[str]) -> str:
    found = set(statuses)
    return next((s for s in SEVERITY if s in found), MatrixStatus.COMPLIANT)


def _audience(requirements: Sequence[Requirement]) -> dict[int, list[Any]]:
    """requirement id → its people (active accounts), in one query for all requirements."""
    group_ids = {r.group_id for r in requirements if r.audience == AudienceKind.ROLE}
    departments = {
        r.department.strip().lower() for r in requirements if r.audience == AudienceKind.DEPARTMENT
    }
    chosen = {
        r.pk: {u.pk for u in r.learners.all()}
        for r in requirements
        if r.audience == AudienceKind.LEARNERS
    }
    listed = set().union(*chosen.values()) if chosen else set()
    if not (group_ids or departments or listed):
        return {}
    people = list(
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(
            department_name=Coalesce("profile__department", models.Value("")),
            department_key=Lower(Trim(Coalesce("profile__department", models.Value("")))),
            role_ids=ArrayAgg("groups__id", distinct=True, default=models.Value([])),
        )
        .filter(Q(groups__id__in=group_ids) | Q(department_key__in=departments) | Q(pk__in=listed))
        .order_by("last_name", "first_name", "username", "pk")
        .distinct()
    )
    audience: dict[int, list[Any]] = defaultdict(list)
    for person in people:
        roles = set(person.role_ids or [])
        department = person.department_key
        for requirement in requirements:
            if (
                (requirement.audience == AudienceKind.ROLE and requirement.group_id in roles)
                or (
                    requirement.audience == AudienceKind.DEPARTMENT
                    and department == requirement.department.strip().lower()
                )
                or (
                    requirement.audience == AudienceKind.LEARNERS
                    and person.pk in chosen.get(requirement.pk, set())
                )
            ):
                audience[requirement.pk].append(person)
    return audience


def matrix_rows(
    *,
    requirement_ids: Iterable[int] | None = None,
    department: str = "",
    status: str = "",
    learner_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[MatrixRow]:
    """The matrix as rows (see the module docstring), filtered by requirement, the person's
    department (case-insensitive), a status, or one person (a learner's own view)."""
    now = now or timezone.now()
    requirements_qs = (
        Requirement.objects.select_related("group")
        .prefetch_related("certifications", "learners")
        .order_by("name", "pk")
    )
    if requirement_ids is not None:
        requirements_qs = requirements_qs.filter(pk__in=list(requirement_ids))
    requirements = list(requirements_qs)
    audience = _audience(requirements)
    people = {p.pk: p for members in audience.values() for p in members}
    if learner_id is not None:
        people = {pk: p for pk, p in people.items() if pk == learner_id}
    wanted_department = department.strip().lower()
    if wanted_department:
        people = {pk: p for pk, p in people.items() if p.department_key == wanted_department}
    certification_ids = {c.pk for r in requirements for c in r.certifications.all()}
    current: dict[tuple[int, int], LearnerCertification] = {}
    if people and certification_ids:
        for held in LearnerCertification.objects.filter(
            current=True, learner_id__in=list(people), certification_id__in=certification_ids
        ).select_related("completion__registration__session__course"):
            current[(held.learner_id, held.certification_id)] = held
    rows: list[MatrixRow] = []
    for requirement in requirements:
        certifications = sorted(requirement.certifications.all(), key=lambda c: (c.code, c.pk))
        for person in audience.get(requirement.pk, []):
            if person.pk not in people:
                continue
            for certification in certifications:
                certificate = current.get((person.pk, certification.pk))
                row_status = certificate_status(
                    certificate, soon_days=requirement.expiring_soon_days, now=now
                )
                if status and row_status != status:
                    continue
                rows.append(_row(requirement, person, certification, certificate, row_status))
    return rows


def _row(
    requirement: Requirement,
    person: Any,
    certification: Any,
    certificate: LearnerCertification | None,
    status: str,
) -> MatrixRow:
    evidence: dict[str, Any] = {}
    if certificate is not None:
        registration = certificate.completion.registration
        session = registration.session
        evidence = {
            "certificate_id": certificate.pk,
            "certificate_number": certificate.number,
            "issued_at": certificate.issued_at,
            "expires_at": certificate.expires_at,
            "completion_id": certificate.completion_id,
            "registration_id": registration.pk,
            "session_id": session.pk,
            "session_time_zone": session.time_zone,
            "course_code": session.course.code,
            "course_title": session.course.title,
        }
    return MatrixRow(
        requirement_id=requirement.pk,
        requirement_name=requirement.name,
        learner_id=person.pk,
        learner_name=person.get_full_name() or person.get_username(),
        learner_email=person.email,
        department=person.department_name.strip(),
        certification_id=certification.pk,
        certification_code=certification.code,
        certification_name=certification.name,
        status=status,
        **evidence,
    )


@dataclass(frozen=True)
class CertificateRow:
    """One issued certificate with its evidence (for the certifications export)."""

    certificate_id: int
    certificate_number: str
    learner_id: int
    learner_name: str
    learner_email: str
    department: str
    certification_id: int
    certification_code: str
    certification_name: str
    issued_at: dt.datetime
    expires_at: dt.datetime | None
    # current | superseded | revoked
    state: str
    superseded_by_id: int | None
    status: str  # compliant / overdue (expiring soon by `soon_days`), as in the matrix
    completion_id: int
    registration_id: int
    session_id: int
    session_time_zone: str
    course_code: str
    course_title: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def certificate_rows(
    *,
    learner_id: int | None = None,
    certification_ids: Iterable[int] | None = None,
    issued_from: dt.datetime | None = None,
    issued_to: dt.datetime | None = None,
    include_history: bool = True,
    soon_days: int = 60,
    now: dt.datetime | None = None,
) -> Iterator[CertificateRow]:
    """Issued certificates, newest first, in one query streamed in chunks (exports)."""
    now = now or timezone.now()
    rows = LearnerCertification.objects.select_related(
        "learner__profile", "certification", "completion__registration__session__course"
    ).order_by("-issued_at", "-pk")
    if learner_id is not None:
        rows = rows.filter(learner_id=learner_id)
    if certification_ids is not None:
        rows = rows.filter(certification_id__in=list(certification_ids))
    if issued_from is not None:
        rows = rows.filter(issued_at__gte=issued_from)
    if issued_to is not None:
        rows = rows.filter(issued_at__lt=issued_to)
    if not include_history:
        rows = rows.filter(current=True)
    for certificate in rows.iterator(chunk_size=2000):
        learner = certificate.learner
        registration = certificate.completion.registration
        session = registration.session
        profile = getattr(learner, "profile", None)
        state = (
            "revoked"
            if certificate.revoked_at is not None
            else ("current" if certificate.current else "superseded")
        )
        yield CertificateRow(
            certificate_id=certificate.pk,
            certificate_number=certificate.number,
            learner_id=learner.pk,
            learner_name=learner.get_full_name() or learner.get_username(),
            learner_email=learner.email,
            department=(profile.department if profile is not None else "").strip(),
            certification_id=certificate.certification_id,
            certification_code=certificate.certification.code,
            certification_name=certificate.certification.name,
            issued_at=certificate.issued_at,
            expires_at=certificate.expires_at,
            state=state,
            superseded_by_id=certificate.superseded_by_id,
            status=certificate_status(certificate, soon_days=soon_days, now=now),
            completion_id=certificate.completion_id,
            registration_id=registration.pk,
            session_id=session.pk,
            session_time_zone=session.time_zone,
            course_code=session.course.code,
            course_title=session.course.title,
        )
