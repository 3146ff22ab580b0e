"""Reads for the certification pages and API, with "who may see what" in the queryset:
coordinators and auditors see every certificate, learners their own (`Scope.OWN`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from compliance.models import Certification, LearnerCertification, Requirement
from tms.permissions import Scope, scope_for


def certification_list() -> QuerySet[Certification]:
    return Certification.objects.prefetch_related("courses").order_by("code")


def requirement_list() -> QuerySet[Requirement]:
    return (
        Requirement.objects.select_related("group")
        .prefetch_related("certifications", "learners")
        .order_by("name")
    )


def learner_certification_list(
    user: Any, *, action: str = "list"
) -> QuerySet[LearnerCertification]:
    """Certificates `user` may see (by the policy table's `learner_certification` rule), with
    their evidence: newest first."""
    rows = LearnerCertification.objects.select_related(
        "learner__profile",
        "certification",
        "completion__registration__session__course",
    ).order_by("-issued_at", "-pk")
    scope = scope_for(user, "learner_certification", action)
    if scope == Scope.ALL:
        return rows
    if scope in (Scope.OWN, Scope.OWN_OR_PUBLISHED):
        return rows.filter(learner_id=user.pk)
    return rows.none()


def my_certificates(user: Any) -> QuerySet[LearnerCertification]:
    """One's own certificates, current ones and history (revoked ones are left out)."""
    return learner_certification_list(user).filter(learner_id=user.pk, revoked_at__isnull=True)
