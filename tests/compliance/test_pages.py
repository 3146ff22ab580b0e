"""Compliance pages: the PDF certificate (its text, who may download it), "My certificates",
the matrix page and the management pages for certifications and requirements."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from compliance.models import AudienceKind, Certification, Requirement
from compliance.services.certifications import certifications_sync, requirement_create
from tests import factories
from tms.models import Profile
from tms.roles import Role

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_learner_downloads_their_certificate_as_a_real_pdf(page_client, learner, certified):
    learner.first_name, learner.last_name = "Ada", "Lovelace"
    learner.save()
    Profile.objects.create(user=learner, time_zone="America/New_York")

    response = page_client(learner).get(reverse("compliance:certificate-pdf", args=[certified.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(_pdf_text(response.content).split())
    assert "Ada Lovelace" in text
    assert certified.number in text
    assert "FIRE-1 Fire warden" in text
    assert "SAFE-101 Workplace safety" in text
    # 4 March 2030 12:00 Paris is 06:00 in New York: the dates are the learner's, named.
    assert "Issued 4 March 2030 (EST)" in text
    assert "Valid until 4 March 2031 (EST)" in text


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("coordinator", 200),
        ("auditor", 200),
        ("other_learner", 404),
        ("instructor", 403),
        ("outsider", 403),
    ],
)
def test_who_may_download_a_certificate(
    who, expected, page_client, certified, coordinator, auditor, instructor, outsider
):
    people = {
        "coordinator": coordinator,
        "auditor": auditor,
        "other_learner": factories.UserFactory(role=Role.LEARNER),
        "instructor": instructor.user,
        "outsider": outsider,
    }
    url = reverse("compliance:certificate-pdf", args=[certified.pk])

    assert page_client(people[who]).get(url).status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in_for_a_certificate(page_client, certified):
    response = page_client(None).get(reverse("compliance:certificate-pdf", args=[certified.pk]))

    assert response.status_code == 302


def test_my_certificates_lists_them_with_the_learners_own_status(page_client, learner, certified):
    requirement_create(
        name="Fire safety for everyone",
        certifications=[certified.certification],
        audience=AudienceKind.ROLE,
        group=Group.objects.get(name=Role.LEARNER),
    )

    page = page_client(learner).get(reverse("compliance:my-certificates")).content.decode()

    assert certified.number in page
    assert "Fire safety for everyone" in page
    assert "Compliant" in page or "Expiring soon" in page or "Overdue" in page
    assert reverse("compliance:certificate-pdf", args=[certified.pk]) in page


def test_the_matrix_page_shows_labelled_statuses_and_evidence(
    page_client, coordinator, auditor, learner, certified
):
    never = factories.UserFactory(role=Role.LEARNER, first_name="Nora", last_name="Never")
    requirement_create(
        name="Fire safety",
        certifications=[certified.certification],
        audience=AudienceKind.ROLE,
        group=Group.objects.get(name=Role.LEARNER),
    )

    for reader in (coordinator, auditor):
        response = page_client(reader).get(reverse("compliance:matrix"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Nora Never" in page
        assert "Never done" in page
        assert 'role="region"' in page
        assert reverse("compliance:certificate-pdf", args=[certified.pk]) in page
        session_id = certified.completion.registration.session_id
        assert reverse("attendance:roster", args=[session_id]) in page
    filtered = page_client(coordinator).get(reverse("compliance:matrix"), {"status": "never_done"})
    assert never.get_full_name() in filtered.content.decode()
    assert certified.learner.get_full_name() not in filtered.content.decode()


def test_the_matrix_page_refuses_bad_filters_and_other_roles(
    page_client, coordinator, learner, instructor
):
    bad = page_client(coordinator).get(reverse("compliance:matrix"), {"status": "perfect"})
    assert bad.status_code == 400
    assert page_client(learner).get(reverse("compliance:matrix")).status_code == 403
    assert page_client(instructor.user).get(reverse("compliance:matrix")).status_code == 403


def test_coordinators_manage_certifications_and_requirements(page_client, coordinator, course):
    client = page_client(coordinator)

    created = client.post(
        reverse("manage:certifications-create"),
        {"code": "AID-1", "name": "First aid", "valid_months": "24", "courses": [course.pk]},
    )
    assert created.status_code == 302
    aid = Certification.objects.get(code="AID-1")
    assert list(aid.courses.all()) == [course]

    refused = client.post(
        reverse("manage:requirements-create"),
        {
            "name": "Kitchen",
            "certifications": [aid.pk],
            "audience": "department",
            "expiring_soon_days": "30",
        },
    )
    assert refused.status_code == 400
    assert "Name the department" in refused.content.decode()

    saved = client.post(
        reverse("manage:requirements-create"),
        {
            "name": "Kitchen",
            "certifications": [aid.pk],
            "audience": "department",
            "department": "Kitchen",
            "expiring_soon_days": "30",
        },
    )
    assert saved.status_code == 302
    assert Requirement.objects.get(name="Kitchen").department == "Kitchen"
    listing = client.get(reverse("manage:requirements-list")).content.decode()
    assert "Department: Kitchen" in listing


def test_auditors_read_but_do_not_change_the_catalogue(page_client, auditor, certification):
    client = page_client(auditor)

    assert client.get(reverse("manage:certifications-list")).status_code == 200
    assert client.get(reverse("manage:requirements-list")).status_code == 200
    assert client.get(reverse("manage:certifications-create")).status_code == 403


def test_a_learners_department_is_edited_on_their_account_page(page_client, coordinator, learner):
    response = page_client(coordinator).post(
        reverse("manage:learners-edit", args=[learner.pk]),
        {
            "email": learner.email,
            "first_name": learner.first_name,
            "last_name": learner.last_name,
            "department": "Kitchen",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert Profile.objects.get(user=learner).department == "Kitchen"
    form = page_client(coordinator).get(reverse("manage:learners-edit", args=[learner.pk]))
    assert 'value="Kitchen"' in form.content.decode()


def test_the_matrix_page_reads_the_same_queries_for_more_people(
    page_client, coordinator, attended, certification
):
    requirement_create(
        name="Fire safety",
        certifications=[certification],
        audience=AudienceKind.ROLE,
        group=Group.objects.get(name=Role.LEARNER),
    )
    client = page_client(coordinator)

    def queries_with(n: int) -> int:
        people = [factories.UserFactory(role=Role.LEARNER) for _ in range(n)]
        attended(dict.fromkeys(people, "completed"), day=f"2030-03-{10 + n:02d}")
        certifications_sync()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("compliance:matrix")).status_code == 200
        return len(captured)

    assert queries_with(2) == queries_with(8)
