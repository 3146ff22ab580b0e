"""The learner record (`compliance:learner-record`) and objects' history on their pages:
auditors and coordinators read them (auditors change nothing), learners and instructors are
refused; the record's and the roster's queries do not grow with the number of rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import AttendanceSource, Registration
from attendance.services.marking import Mark, attendance_mark
from attendance.services.registration import registration_create
from compliance.models import AudienceKind, Certification
from compliance.services.certifications import requirement_create
from compliance.services.sign_off import sign_off_and_certify
from tests import factories
from tests.conftest import NOW, at
from tms.roles import Role

pytestmark = pytest.mark.django_db
LATER = dt.datetime(2030, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def later() -> Any:
    with time_machine.travel(LATER, tick=False):
        yield


@pytest.fixture
def certification(course):  # type: ignore[no-untyped-def]
    granted = Certification.objects.create(code="FIRE-1", name="Fire warden", valid_months=12)
    granted.courses.add(course)
    return granted


@pytest.fixture
def attend(schedule, instructor, certification):  # type: ignore[no-untyped-def]
    """attend(learner, day) → the learner's registration in a one-block session that day,
    marked present (170 minutes) and signed off."""

    def make(person: Any, day: int = 4) -> Registration:
        date = dt.date(2030, 3, day).isoformat()
        session = schedule(
            [(at(date, "09:00"), at(date, "12:00"))],
            rooms=[factories.RoomFactory()],
            status="scheduled",
        )
        registration = registration_create(session_id=session.pk, learner=person, now=NOW).row()
        ended = at(date, "13:00")
        attendance_mark(
            registration=registration,
            block=session.blocks.get(),
            mark=Mark("present", minutes_attended=170),
            source=AttendanceSource.ROSTER,
            recorded_by=instructor.user,
            now=ended,
        )
        sign_off_and_certify(session_id=session.pk, by=instructor.user, now=ended)
        return registration

    return make


def _record(learner: Any) -> str:
    return reverse("compliance:learner-record", args=[learner.pk])


def test_auditors_and_coordinators_read_a_learner_record_with_its_history(
    page_client, attend, learner, auditor, coordinator
):
    registration = attend(learner)
    for reader in (auditor, coordinator):
        response = page_client(reader).get(_record(learner))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Learner record: " in html
        assert learner.email in html
        assert ">Present<" in html
        assert ">170<" in html
        assert ">Completed<" in html
        assert "Europe/Paris" in html
        assert "FIRE-1 Fire warden" in html
        assert 'id="history-heading"' in html
        # The history names the registration, its attendance and the certificate.
        assert f"attendance.Registration #{registration.pk}" in html
        assert "attendance.AttendanceRecord #" in html
        assert "compliance.LearnerCertification #" in html
        # Read-only: no form on the page posts anything.
        assert 'method="post"' not in html.split('id="requirements-heading"', 1)[1]


def test_learners_and_instructors_are_refused_the_learner_record(
    page_client, attend, learners, instructor, outsider
):
    me, other = learners(2)
    attend(other)
    for who in (me, other, instructor.user, outsider):
        assert page_client(who).get(_record(other)).status_code == 403
    assert page_client(None).get(_record(other)).status_code == 302


def test_a_record_of_someone_who_is_not_a_learner_is_not_found(page_client, auditor, coordinator):
    assert page_client(auditor).get(_record(coordinator)).status_code == 404
    missing = reverse("compliance:learner-record", args=[999999])
    assert page_client(auditor).get(missing).status_code == 404


def test_the_record_costs_the_same_queries_for_one_session_or_many(
    page_client, attend, learner, auditor
):
    def measure() -> int:
        client = page_client(auditor)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_record(learner)).status_code == 200
        return len(captured)

    attend(learner, day=4)
    one = measure()
    for day in range(5, 12):
        attend(learner, day=day)
    assert measure() == one


def test_the_roster_offers_each_registrations_history_to_readers_only(
    page_client, attend, learners, auditor, coordinator, instructor
):
    first = learners(1)[0]
    registration = attend(first)
    session = registration.session
    url = reverse("attendance:roster", args=[session.pk])
    history = reverse(
        "compliance:object-history", args=["attendance_registration", registration.pk]
    )
    html = page_client(auditor).get(url).content.decode()
    assert f'hx-get="{history}"' in html
    assert reverse("compliance:learner-record", args=[first.pk]) in html
    teacher = page_client(instructor.user).get(url).content.decode()
    assert history not in teacher
    assert reverse("compliance:learner-record", args=[first.pk]) not in teacher

    fragment = page_client(auditor).get(history)
    assert fragment.status_code == 200
    assert "Created" in fragment.content.decode()
    assert page_client(instructor.user).get(history).status_code == 403
    assert page_client(first).get(history).status_code == 403
    bad = reverse("compliance:object-history", args=["no_such_table", "1"])
    assert page_client(auditor).get(bad).status_code == 404

    # More rows, same queries: the histories load when opened.
    def measure() -> int:
        client = page_client(coordinator)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = measure()
    for person in factories.UserFactory.create_batch(6, role="Learner"):
        registration_create(session_id=session.pk, learner=person, now=NOW)
    assert measure() == before


def test_manage_edit_pages_show_the_history_inline_to_readers(page_client, coordinator, learner):
    site = factories.SiteFactory(name="Harbour House")
    url = reverse("manage:sites-edit", args=[site.pk])
    html = page_client(coordinator).get(url).content.decode()
    assert 'id="history-heading"' in html
    assert "Created" in html
    assert "object_type=venues_site" in html


def test_links_to_the_record_from_the_matrix_log_and_learner_list(
    page_client, attend, learner, auditor
):
    attend(learner)
    record = _record(learner)
    client = page_client(auditor)
    assert record in client.get(reverse("manage:learners-list")).content.decode()
    log = client.get(reverse("compliance:audit-log"), {"object_type": "auth_user"})
    assert record in log.content.decode()


def test_the_matrix_links_each_person_to_their_record_for_readers(
    page_client, learner, auditor, certification
):
    requirement_create(
        name="Everyone on site",
        certifications=[certification],
        audience=AudienceKind.ROLE,
        group=Group.objects.get_or_create(name=Role.LEARNER)[0],
    )
    html = page_client(auditor).get(reverse("compliance:matrix")).content.decode()
    assert _record(learner) in html
