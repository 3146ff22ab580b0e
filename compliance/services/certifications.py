"""Certifications: issuing them from completions, recertification, revocation, and the
catalogue and requirement writes of the management pages and the API.

The rule, in one place (`certifications_issue_for_completion`):

- a *completed* `Completion` of a course that grants certifications issues each of them once
  (unique per completion and certification: running it again changes nothing), issued at the
  session's end (the day the training was done, not the day it was signed off) and valid for
  the certification's `valid_months` from then;
- the learner's *current* certificate is their latest one by issue date: a later completion
  recertifies (the earlier certificate stays, superseded by the next), an earlier one signed
  off late goes straight into the history;
- a completion changed to *not completed* (a late edit after sign-off) revokes the
  certificates it issued; the learner's previous certificate, if any, becomes current again.
  Changed back to completed, the same certificate (same number) is restored.

Writes lock the learner's user row, so two sign-offs that certify one learner at once take
turns and the "one current certificate" constraint is never raced into.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import Completion, CompletionStatus
from compliance.models import AudienceKind, Certification, LearnerCertification, Requirement
from scheduling.models import Course
from tms.exceptions import RuleViolation
from tms.writes import apply_changes, clean_and_save, delete_unless_used


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock time `months` calendar months later (the 31st becomes the month's
    last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def certificate_number(certification: Certification, completion: Completion) -> str:
    """Unique by construction: a completion issues a certification once."""
    return f"{certification.code}-{completion.pk:06d}"


def _lock_learner(learner_id: int) -> None:
    get_user_model().objects.select_for_update().filter(pk=learner_id).first()


def _rechain_locked(learner_id: int, certification_id: int) -> None:
    """Make the latest unrevoked certificate current and chain the others to their successor.

    Needs the learner's row locked (`_lock_learner`)."""
    rows = list(
        LearnerCertification.objects.filter(
            learner_id=learner_id, certification_id=certification_id
        ).order_by("issued_at", "pk")
    )
    valid = [row for row in rows if row.revoked_at is None]
    # Clear the old current first: the partial unique index allows one current row.
    LearnerCertification.objects.filter(
        learner_id=learner_id, certification_id=certification_id, current=True
    ).update(current=False)
    successors: list[LearnerCertification | None] = [*valid[1:], None] if valid else []
    for row, successor in zip(valid, successors, strict=True):
        wanted = successor.pk if successor is not None else None
        is_current = successor is None
        if row.superseded_by_id != wanted or is_current:
            LearnerCertification.objects.filter(pk=row.pk).update(
                superseded_by_id=wanted, current=is_current
            )
    for row in rows:
        if row.revoked_at is not None and row.superseded_by_id is not None:
            LearnerCertification.objects.filter(pk=row.pk).update(superseded_by_id=None)


def certifications_issue_for_completion(
    *, completion: Completion, now: dt.datetime | None = None
) -> list[LearnerCertification]:
    """Issue (or revoke) the certifications `completion`'s course grants, as the module says.

    Returns the certificates the completion holds afterwards (none when not completed). Runs in
    the caller's transaction when there is one (sign-off certifies in its own), else in its
    own; locks the learner's user row."""
    now = now or timezone.now()
    with transaction.atomic():
        completion = Completion.objects.select_related("registration__session").get(
            pk=completion.pk
        )
        registration = completion.registration
        session = registration.session
        learner_id = registration.learner_id
        granted = list(Certification.objects.filter(courses=session.course_id).order_by("pk"))
        if not granted and not LearnerCertification.objects.filter(completion=completion).exists():
            return []  # nothing to issue or revoke: no lock taken
        _lock_learner(learner_id)
        existing = {
            row.certification_id: row
            for row in LearnerCertification.objects.filter(completion=completion)
        }
        touched: set[int] = set()
        if completion.status != CompletionStatus.COMPLETED:
            for row in existing.values():
                if row.revoked_at is None:
                    LearnerCertification.objects.filter(pk=row.pk).update(
                        revoked_at=now, current=False, superseded_by=None
                    )
                    touched.add(row.certification_id)
        else:
            issued_at = session.ends_at or completion.recorded_at
            for certification in granted:
                held = existing.get(certification.pk)
                if held is None:
                    LearnerCertification.objects.create(
                        learner_id=learner_id,
                        certification=certification,
                        completion=completion,
                        number=certificate_number(certification, completion),
                        issued_at=issued_at,
                        expires_at=(
                            add_months(issued_at, certification.valid_months)
                            if certification.valid_months
                            else None
                        ),
                    )
                    touched.add(certification.pk)
                elif held.revoked_at is not None:
                    LearnerCertification.objects.filter(pk=held.pk).update(revoked_at=None)
                    touched.add(certification.pk)
        for certification_id in sorted(touched):
            _rechain_locked(learner_id, certification_id)
        return list(
            LearnerCertification.objects.filter(
                completion=completion, revoked_at__isnull=True
            ).select_related("certification")
        )


def certifications_issue_for_session(
    *, session_id: int, now: dt.datetime | None = None
) -> list[LearnerCertification]:
    """Certify every recorded completion of a session (sign-off calls it after writing them)."""
    issued: list[LearnerCertification] = []
    with transaction.atomic():
        # In learner order: two sign-offs certifying the same people lock them in one order.
        for completion in Completion.objects.filter(registration__session_id=session_id).order_by(
            "registration__learner_id", "pk"
        ):
            issued += certifications_issue_for_completion(completion=completion, now=now)
    return issued


def certifications_sync(*, now: dt.datetime | None = None) -> int:
    """The beat sweep: certify completions that should hold a certificate and do not, and
    revoke those of completions no longer completed, whatever path changed them (a late edit,
    the admin, a path that did not go through `sign_off_and_certify`). Returns how many
    completions it certified or revoked; a second run finds nothing to do."""
    expected = set(
        Completion.objects.filter(
            status=CompletionStatus.COMPLETED,
            registration__session__course__certifications__isnull=False,
        ).values_list("pk", "registration__session__course__certifications")
    )
    held = set(
        LearnerCertification.objects.filter(revoked_at__isnull=True).values_list(
            "completion_id", "certification_id"
        )
    )
    missing = {completion_id for completion_id, _certification in expected - held}
    stale = set(
        LearnerCertification.objects.filter(revoked_at__isnull=True)
        .exclude(completion__status=CompletionStatus.COMPLETED)
        .values_list("completion_id", flat=True)
    )
    fixed = 0
    for completion in Completion.objects.filter(pk__in=missing | stale).order_by("pk"):
        # One transaction per completion: a sweep never holds many learners' locks at once.
        certifications_issue_for_completion(completion=completion, now=now)
        fixed += 1
    return fixed


# --- The catalogue and requirements (management pages and API) ------------------------------

CERTIFICATION_FIELDS = frozenset({"code", "name", "description", "valid_months"})
REQUIREMENT_FIELDS = frozenset(
    {"name", "description", "audience", "group", "department", "expiring_soon_days"}
)


def certification_create(
    *,
    code: str,
    name: str,
    description: str = "",
    valid_months: int | None = None,
    courses: Iterable[Course] = (),
) -> Certification:
    """A certification and the courses granting it. Existing completions are certified by the
    next sweep (`certifications_sync`), not here."""
    with transaction.atomic(durable=True):
        certification = clean_and_save(
            Certification(
                code=code.strip(),
                name=name.strip(),
                description=description,
                valid_months=valid_months,
            )
        )
        certification.courses.set(list(courses))
    return certification


def certification_update(*, certification_id: int, changes: Mapping[str, Any]) -> Certification:
    """Certificates already issued keep their dates: a new validity applies to the next."""
    with transaction.atomic(durable=True):
        certification = Certification.objects.select_for_update().get(pk=certification_id)
        changes = dict(changes)
        courses = changes.pop("courses", None)
        apply_changes(certification, changes, CERTIFICATION_FIELDS)
        certification = clean_and_save(certification)
        if courses is not None:
            certification.courses.set(list(courses))
    return certification


def certification_delete(*, certification_id: int) -> None:
    """Refused (409) once a certificate was issued or a requirement asks for it."""
    with transaction.atomic(durable=True):
        certification = Certification.objects.select_for_update().get(pk=certification_id)
        if certification.requirements.exists():
            message = _("A requirement asks for this certification: change the requirement first.")
            raise RuleViolation(message, fields={"requirements": [message]})
        delete_unless_used(
            certification,
            hint=_("Certificates were issued for it; they stay as the learners' records."),
        )


def _check_audience(requirement: Requirement, learners: Sequence[User] | None) -> None:
    """Only the fields of the chosen audience are kept; a role needs a group, a department a
    name, a list at least one person."""
    if requirement.audience != AudienceKind.ROLE:
        requirement.group = None
    if requirement.audience != AudienceKind.DEPARTMENT:
        requirement.department = ""
    requirement.department = requirement.department.strip()
    if requirement.audience == AudienceKind.ROLE and requirement.group is None:
        message = _("Choose the role whose members must comply.")
        raise RuleViolation(message, fields={"group": [message]})
    if requirement.audience == AudienceKind.DEPARTMENT and not requirement.department:
        message = _("Name the department whose members must comply.")
        raise RuleViolation(message, fields={"department": [message]})
    if requirement.audience == AudienceKind.LEARNERS and learners is not None and not learners:
        message = _("Choose at least one person.")
        raise RuleViolation(message, fields={"learners": [message]})


def _check_certifications(certifications: Sequence[Certification]) -> None:
    if not certifications:
        message = _("Choose at least one certification.")
        raise RuleViolation(message, fields={"certifications": [message]})


def requirement_create(
    *,
    name: str,
    certifications: Iterable[Certification],
    audience: str,
    description: str = "",
    group: Group | None = None,
    department: str = "",
    learners: Iterable[User] = (),
    expiring_soon_days: int = 60,
) -> Requirement:
    """Who (a role, a department or chosen people) must hold which certifications (all)."""
    chosen = list(certifications)
    people = list(learners)
    _check_certifications(chosen)
    requirement = Requirement(
        name=name.strip(),
        description=description,
        audience=audience,
        group=group,
        department=department,
        expiring_soon_days=expiring_soon_days,
    )
    _check_audience(requirement, people)
    with transaction.atomic(durable=True):
        requirement = clean_and_save(requirement)
        requirement.certifications.set(chosen)
        requirement.learners.set(people if audience == AudienceKind.LEARNERS else [])
    return requirement


def requirement_update(*, requirement_id: int, changes: Mapping[str, Any]) -> Requirement:
    with transaction.atomic(durable=True):
        requirement = Requirement.objects.select_for_update().get(pk=requirement_id)
        changes = dict(changes)
        certifications = changes.pop("certifications", None)
        learners = changes.pop("learners", None)
        apply_changes(requirement, changes, REQUIREMENT_FIELDS)
        if certifications is not None:
            certifications = list(certifications)
            _check_certifications(certifications)
        if learners is not None:
            learners = list(learners)
        elif requirement.audience == AudienceKind.LEARNERS:
            learners = list(requirement.learners.all())
        _check_audience(requirement, learners)
        requirement = clean_and_save(requirement)
        if certifications is not None:
            requirement.certifications.set(certifications)
        if requirement.audience != AudienceKind.LEARNERS:
            requirement.learners.clear()
        elif learners is not None:
            requirement.learners.set(learners)
    return requirement


def requirement_delete(*, requirement_id: int) -> None:
    """Certificates are the learners' records and stay; only the rule goes."""
    with transaction.atomic(durable=True):
        Requirement.objects.filter(pk=requirement_id).delete()
