"""Issuing certifications from completions: once per completion, recertification by a later
one, revocation by a late "not completed", and the sweep that catches every other path."""

from __future__ import annotations

import datetime as dt

import pytest

from attendance.services.outcomes import completion_record
from compliance.models import Certification, LearnerCertification
from compliance.services.certifications import (
    add_months,
    certifications_issue_for_completion,
    certifications_issue_for_session,
    certifications_sync,
)
from tests.compliance.conftest import COMPLETED, NOT_COMPLETED
from tests.conftest import at

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2030, 7, 1, tzinfo=dt.UTC)


def test_a_completion_issues_the_certification_valid_from_the_sessions_end(
    learner, attended, certification
):
    completion = attended({learner: COMPLETED})[learner]

    issued = certifications_issue_for_completion(completion=completion, now=LATER)

    [certificate] = issued
    assert certificate.learner == learner
    assert certificate.certification == certification
    assert certificate.issued_at == at("2030-03-04", "12:00")
    assert certificate.expires_at == at("2031-03-04", "12:00")
    assert certificate.current
    assert certificate.number == f"FIRE-1-{completion.pk:06d}"


def test_issuing_twice_for_one_completion_changes_nothing(learner, attended, certification):
    completion = attended({learner: COMPLETED})[learner]
    first = certifications_issue_for_completion(completion=completion, now=LATER)

    again = certifications_issue_for_completion(completion=completion, now=LATER)

    assert [c.pk for c in again] == [c.pk for c in first]
    assert LearnerCertification.objects.count() == 1
    assert certifications_sync(now=LATER) == 0


def test_not_completed_issues_nothing(learner, attended, certification):
    completion = attended({learner: NOT_COMPLETED})[learner]

    assert certifications_issue_for_completion(completion=completion, now=LATER) == []
    assert not LearnerCertification.objects.exists()


def test_a_course_without_certifications_issues_nothing(learner, attended):
    completion = attended({learner: COMPLETED})[learner]

    assert certifications_issue_for_completion(completion=completion, now=LATER) == []


def test_a_course_may_grant_several_certifications(learner, attended, certification, course):
    first_aid = Certification.objects.create(code="AID-1", name="First aid", valid_months=24)
    first_aid.courses.add(course)
    completion = attended({learner: COMPLETED})[learner]

    issued = certifications_issue_for_completion(completion=completion, now=LATER)

    assert sorted(c.certification.code for c in issued) == ["AID-1", "FIRE-1"]


def test_a_later_completion_recertifies_and_keeps_the_history(learner, attended, certification):
    first = attended({learner: COMPLETED}, day="2030-03-04")[learner]
    [old] = certifications_issue_for_completion(completion=first, now=LATER)
    second = attended({learner: COMPLETED}, day="2030-06-10")[learner]

    [new] = certifications_issue_for_completion(completion=second, now=LATER)

    old.refresh_from_db()
    assert new.current
    assert not old.current
    assert old.superseded_by == new
    assert new.expires_at == at("2031-06-10", "12:00")
    assert LearnerCertification.objects.filter(learner=learner).count() == 2


def test_an_earlier_completion_certified_late_goes_into_the_history(
    learner, attended, certification
):
    earlier = attended({learner: COMPLETED}, day="2030-03-04")[learner]
    later = attended({learner: COMPLETED}, day="2030-06-10")[learner]
    [newest] = certifications_issue_for_completion(completion=later, now=LATER)

    [older] = certifications_issue_for_completion(completion=earlier, now=LATER)

    newest.refresh_from_db()
    assert newest.current
    assert not older.current
    assert older.superseded_by == newest


def test_a_late_not_completed_revokes_its_certificate_and_restores_the_previous(
    learner, attended, certification
):
    first = attended({learner: COMPLETED}, day="2030-03-04")[learner]
    [old] = certifications_issue_for_completion(completion=first, now=LATER)
    second = attended({learner: COMPLETED}, day="2030-06-10")[learner]
    [new] = certifications_issue_for_completion(completion=second, now=LATER)

    corrected = completion_record(
        registration_id=second.registration_id, status=NOT_COMPLETED, recorded_by=None, now=LATER
    )
    assert certifications_issue_for_completion(completion=corrected, now=LATER) == []

    new.refresh_from_db()
    old.refresh_from_db()
    assert new.revoked_at == LATER
    assert not new.current
    assert old.current
    assert old.superseded_by is None

    # Completed again: the same certificate (same number) is back, and current.
    restored = completion_record(
        registration_id=second.registration_id, status=COMPLETED, recorded_by=None, now=LATER
    )
    [back] = certifications_issue_for_completion(completion=restored, now=LATER)
    old.refresh_from_db()
    assert back.pk == new.pk
    assert back.number == new.number
    assert LearnerCertification.objects.get(pk=new.pk).current
    assert old.superseded_by_id == new.pk


def test_a_certification_without_validity_never_expires(learner, attended, course):
    forever = Certification.objects.create(code="INDUCT", name="Induction")
    forever.courses.add(course)
    completion = attended({learner: COMPLETED})[learner]

    [certificate] = certifications_issue_for_completion(completion=completion, now=LATER)

    assert certificate.expires_at is None


def test_a_session_certifies_each_completed_learner(learners, attended, certification):
    done, missed = learners(2)
    completions = attended({done: COMPLETED, missed: NOT_COMPLETED})

    issued = certifications_issue_for_session(
        session_id=completions[done].registration.session_id, now=LATER
    )

    assert [c.learner for c in issued] == [done]


def test_the_sweep_certifies_what_no_one_certified_and_revokes_what_was_undone(
    learners, attended, certification
):
    uncertified, undone = learners(2)
    completions = attended({uncertified: COMPLETED, undone: COMPLETED})
    certifications_issue_for_completion(completion=completions[undone], now=LATER)
    completion_record(
        registration_id=completions[undone].registration_id,
        status=NOT_COMPLETED,
        recorded_by=None,
        now=LATER,
    )

    assert certifications_sync(now=LATER) == 2
    assert certifications_sync(now=LATER) == 0

    assert LearnerCertification.objects.get(learner=uncertified).current
    assert LearnerCertification.objects.get(learner=undone).revoked_at == LATER


def test_months_are_calendar_months_clamped_to_the_months_end():
    assert add_months(dt.datetime(2030, 1, 31, 9, tzinfo=dt.UTC), 1) == dt.datetime(
        2030, 2, 28, 9, tzinfo=dt.UTC
    )
    assert add_months(dt.datetime(2030, 11, 15, tzinfo=dt.UTC), 14) == dt.datetime(
        2032, 1, 15, tzinfo=dt.UTC
    )
