"""The compliance matrix: each status with its evidence, each kind of audience, the filters,
and a query count that does not grow with the number of people or requirements."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group

from attendance.services.outcomes import completion_record
from compliance.matrix import MatrixStatus, certificate_rows, matrix_rows
from compliance.models import AudienceKind, Certification
from compliance.services.certifications import (
    certifications_issue_for_completion,
    requirement_create,
)
from tests.compliance.conftest import COMPLETED, NOT_COMPLETED
from tests.conftest import at
from tms.exceptions import RuleViolation
from tms.roles import Role
from tms.services import profile_set_department_locked

pytestmark = pytest.mark.django_db
# Certificates from the 4 March 2030 session expire 4 March 2031 12:00 Paris time.
EXPIRES = at("2031-03-04", "12:00")


def _certify(attended, people, day="2030-03-04"):  # type: ignore[no-untyped-def]
    for completion in attended(dict.fromkeys(people, COMPLETED), day=day).values():
        certifications_issue_for_completion(completion=completion, now=at(day, "18:00"))


def _role_requirement(*certifications, days=60):  # type: ignore[no-untyped-def]
    return requirement_create(
        name="Fire safety",
        certifications=list(certifications),
        audience=AudienceKind.ROLE,
        group=Group.objects.get_or_create(name=Role.LEARNER)[0],
        expiring_soon_days=days,
    )


def _statuses(rows):  # type: ignore[no-untyped-def]
    return {(row.learner_id, row.certification_code): row.status for row in rows}


def test_each_status_with_its_evidence(learners, attended, certification):
    holder, never = learners(2)
    _certify(attended, [holder])
    _role_requirement(certification)

    compliant = matrix_rows(now=EXPIRES - dt.timedelta(days=61))
    soon = matrix_rows(now=EXPIRES - dt.timedelta(days=59))
    overdue = matrix_rows(now=EXPIRES + dt.timedelta(minutes=1))

    assert _statuses(compliant) == {
        (holder.pk, "FIRE-1"): MatrixStatus.COMPLIANT,
        (never.pk, "FIRE-1"): MatrixStatus.NEVER_DONE,
    }
    assert _statuses(soon)[(holder.pk, "FIRE-1")] == MatrixStatus.EXPIRING_SOON
    assert _statuses(overdue)[(holder.pk, "FIRE-1")] == MatrixStatus.OVERDUE
    [evidence] = [row for row in compliant if row.learner_id == holder.pk]
    certificate = holder.certifications.get()
    assert evidence.certificate_id == certificate.pk
    assert evidence.certificate_number == certificate.number
    assert evidence.session_id == certificate.completion.registration.session_id
    assert evidence.registration_id == certificate.completion.registration_id
    assert evidence.course_code == "SAFE-101"
    assert evidence.expires_at == EXPIRES
    [nothing] = [row for row in compliant if row.learner_id == never.pk]
    assert nothing.certificate_id is None
    assert nothing.session_id is None


def test_recertification_makes_an_overdue_learner_compliant(learner, attended, certification):
    _certify(attended, [learner])
    _role_requirement(certification)
    _certify(attended, [learner], day="2030-06-10")

    [row] = matrix_rows(now=EXPIRES + dt.timedelta(days=1))

    assert row.status == MatrixStatus.COMPLIANT
    assert row.expires_at == at("2031-06-10", "12:00")


def test_a_requirement_needs_every_certification(learner, attended, certification):
    other = Certification.objects.create(code="AID-1", name="First aid", valid_months=24)
    _certify(attended, [learner])
    _role_requirement(certification, other)

    assert _statuses(matrix_rows(now=at("2030-04-01", "09:00"))) == {
        (learner.pk, "AID-1"): MatrixStatus.NEVER_DONE,
        (learner.pk, "FIRE-1"): MatrixStatus.COMPLIANT,
    }


def test_audience_by_role_leaves_other_roles_out(learner, coordinator, instructor, certification):
    _role_requirement(certification)

    people = {row.learner_id for row in matrix_rows(now=at("2030-04-01", "09:00"))}

    assert people == {learner.pk}


def test_audience_by_department_matches_whatever_the_case(learners, certification):
    cook, waiter, clerk = learners(3)
    profile_set_department_locked(user=cook, department="Kitchen")
    profile_set_department_locked(user=waiter, department=" kitchen ")
    profile_set_department_locked(user=clerk, department="Office")
    requirement_create(
        name="Kitchen fire safety",
        certifications=[certification],
        audience=AudienceKind.DEPARTMENT,
        department="KITCHEN",
    )

    rows = matrix_rows(now=at("2030-04-01", "09:00"))

    assert {row.learner_id for row in rows} == {cook.pk, waiter.pk}
    assert {row.department for row in rows} == {"Kitchen", "kitchen"}


def test_audience_by_list_is_exactly_the_chosen_people(learners, outsider, certification):
    chosen, _other = learners(2)
    requirement_create(
        name="Wardens",
        certifications=[certification],
        audience=AudienceKind.LEARNERS,
        learners=[chosen, outsider],
    )

    people = {row.learner_id for row in matrix_rows(now=at("2030-04-01", "09:00"))}

    assert people == {chosen.pk, outsider.pk}


def test_deactivated_accounts_leave_the_matrix(learners, certification):
    staying, leaving = learners(2)
    leaving.is_active = False
    leaving.save()
    _role_requirement(certification)

    assert {r.learner_id for r in matrix_rows(now=at("2030-04-01", "09:00"))} == {staying.pk}


def test_filters_by_requirement_department_status_and_person(learners, attended, certification):
    holder, never = learners(2)
    profile_set_department_locked(user=holder, department="Kitchen")
    _certify(attended, [holder])
    fire = _role_requirement(certification)
    other = requirement_create(
        name="Office",
        certifications=[certification],
        audience=AudienceKind.LEARNERS,
        learners=[never],
    )
    now = at("2030-04-01", "09:00")

    assert {r.requirement_id for r in matrix_rows(requirement_ids=[other.pk], now=now)} == {
        other.pk
    }
    assert {r.learner_id for r in matrix_rows(department="kitchen", now=now)} == {holder.pk}
    never_done = matrix_rows(status=MatrixStatus.NEVER_DONE, now=now)
    assert {(r.requirement_id, r.learner_id) for r in never_done} == {
        (fire.pk, never.pk),
        (other.pk, never.pk),
    }
    assert {r.learner_id for r in matrix_rows(learner_id=holder.pk, now=now)} == {holder.pk}


def test_rows_are_plain_values_for_exports(learner, attended, certification):
    _certify(attended, [learner])
    _role_requirement(certification)

    [row] = matrix_rows(now=at("2030-04-01", "09:00"))

    values = row.as_dict()
    assert values["status"] == "compliant"
    assert values["certificate_number"].startswith("FIRE-1-")
    assert set(values) >= {"requirement_name", "learner_email", "department", "expires_at"}


def test_the_matrix_reads_in_the_same_queries_whatever_its_size(
    learners, attended, certification, django_assert_num_queries
):
    def grow(n: int) -> None:
        people = learners(n)
        for person in people:
            profile_set_department_locked(user=person, department="Kitchen")
        _certify(attended, people[: n // 2], day=f"2030-03-{10 + n:02d}")
        extra = Certification.objects.create(code=f"X-{n}", name=f"Extra {n}")
        requirement_create(
            name=f"Kitchen {n}",
            certifications=[certification, extra],
            audience=AudienceKind.DEPARTMENT,
            department="Kitchen",
        )
        requirement_create(
            name=f"Chosen {n}",
            certifications=[certification],
            audience=AudienceKind.LEARNERS,
            learners=people[:2],
        )

    _role_requirement(certification)
    grow(2)
    now = at("2030-05-01", "09:00")
    with django_assert_num_queries(5):
        small = matrix_rows(now=now)
    grow(6)
    with django_assert_num_queries(5):
        large = matrix_rows(now=now)
    assert len(large) > 3 * len(small)


def test_a_requirement_names_its_audience(certification):
    with pytest.raises(RuleViolation) as refused:
        requirement_create(
            name="Nobody", certifications=[certification], audience=AudienceKind.DEPARTMENT
        )
    assert "department" in refused.value.fields
    with pytest.raises(RuleViolation) as refused:
        requirement_create(name="Nothing", certifications=[], audience=AudienceKind.ROLE)
    assert "certifications" in refused.value.fields


def test_certificate_rows_list_current_superseded_and_revoked(learner, attended, certification):
    _certify(attended, [learner], day="2030-03-04")
    _certify(attended, [learner], day="2030-06-10")
    [newest, oldest] = list(certificate_rows(now=at("2030-07-01", "09:00")))
    assert (newest.state, oldest.state) == ("current", "superseded")
    assert oldest.superseded_by_id == newest.certificate_id
    assert newest.course_code == "SAFE-101"

    completion_record(
        registration_id=newest.registration_id,
        status=NOT_COMPLETED,
        recorded_by=None,
        now=at("2030-07-01", "09:00"),
    )
    certifications_issue_for_completion(
        completion=learner.certifications.get(pk=newest.certificate_id).completion,
        now=at("2030-07-01", "09:00"),
    )
    states = [r.state for r in certificate_rows(now=at("2030-07-01", "09:00"))]
    assert states == ["revoked", "current"]
    current_only = list(certificate_rows(include_history=False, now=at("2030-07-01", "09:00")))
    assert [r.certificate_id for r in current_only] == [oldest.certificate_id]
