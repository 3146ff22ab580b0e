"""The certification and compliance API: learners read their own certificates and matrix rows,
coordinators write the catalogue and requirements through the services, auditors read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.models import AudienceKind, Requirement
from compliance.services.certifications import requirement_create
from tests import factories
from tms.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user():  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    def client(user):  # type: ignore[no-untyped-def]
        api = APIClient()
        api.force_authenticate(user)
        return api

    return client


def test_learners_list_only_their_own_certificates(as_user, learner, certified, coordinator):
    other = factories.UserFactory(role=Role.LEARNER)
    url = reverse("api:compliance:learner-certification-list")

    mine = as_user(learner).get(url).json()
    theirs = as_user(other).get(url).json()
    everyone = as_user(coordinator).get(url).json()

    assert [c["number"] for c in mine["results"]] == [certified.number]
    assert theirs["results"] == []
    assert [c["id"] for c in everyone["results"]] == [certified.pk]
    detail = reverse("api:compliance:learner-certification-detail", args=[certified.pk])
    assert as_user(other).get(detail).status_code == 404
    body = as_user(learner).get(detail).json()
    assert body["certification"]["code"] == "FIRE-1"
    assert body["session"] == certified.completion.registration.session_id
    assert body["current"] is True


def test_the_matrix_as_json_and_a_learners_own_rows(as_user, learner, certified, coordinator):
    other = factories.UserFactory(role=Role.LEARNER)
    requirement_create(
        name="Fire safety",
        certifications=[certified.certification],
        audience=AudienceKind.LEARNERS,
        learners=[learner, other],
    )
    url = reverse("api:compliance:matrix-detail")

    rows = as_user(coordinator).get(url).json()
    own = as_user(learner).get(url).json()

    assert {(r["learner_id"], r["status"] != "never_done") for r in rows} == {
        (learner.pk, True),
        (other.pk, False),
    }
    assert [r["learner_id"] for r in own] == [learner.pk]
    assert own[0]["certificate_number"] == certified.number
    never = as_user(coordinator).get(url, {"status": "never_done"}).json()
    assert [r["learner_id"] for r in never] == [other.pk]
    bad = as_user(coordinator).get(url, {"status": "perfect"})
    assert bad.status_code == 400
    assert "status" in bad.json()["fields"]


def test_coordinators_write_requirements_and_auditors_only_read(
    as_user, coordinator, auditor, certification
):
    url = reverse("api:compliance:requirement-list")
    body = {
        "name": "Learners",
        "certifications": [certification.pk],
        "audience": "role",
        "group": Role.LEARNER,
    }

    assert as_user(auditor).post(url, body, format="json").status_code == 403
    created = as_user(coordinator).post(url, body, format="json")
    assert created.status_code == 201, created.json()
    requirement = Requirement.objects.get(name="Learners")
    assert requirement.group.name == Role.LEARNER
    assert as_user(auditor).get(url).json()["results"][0]["name"] == "Learners"

    detail = reverse("api:compliance:requirement-detail", args=[requirement.pk])
    refused = as_user(coordinator).patch(detail, {"audience": "department"}, format="json")
    assert refused.status_code == 400
    assert "department" in refused.json()["fields"]
    changed = as_user(coordinator).patch(
        detail, {"audience": "department", "department": "Kitchen"}, format="json"
    )
    assert changed.json()["department"] == "Kitchen"
    assert changed.json()["group"] is None
    assert as_user(coordinator).delete(detail).status_code == 204


def test_coordinators_write_certifications(as_user, coordinator, learner, course):
    url = reverse("api:compliance:certification-list")
    body = {"code": "AID-1", "name": "First aid", "valid_months": 24, "courses": [course.pk]}

    assert as_user(learner).post(url, body, format="json").status_code == 403
    created = as_user(coordinator).post(url, body, format="json")
    assert created.status_code == 201
    assert created.json()["courses"] == [course.pk]
    duplicate = as_user(coordinator).post(url, body, format="json")
    assert duplicate.status_code == 400
    assert "code" in duplicate.json()["fields"]
    assert as_user(learner).get(url).json()["results"][0]["code"] == "AID-1"


def test_a_certification_that_was_issued_cannot_be_deleted(as_user, coordinator, certified):
    detail = reverse("api:compliance:certification-detail", args=[certified.certification_id])

    assert as_user(coordinator).delete(detail).status_code == 409
