"""Instructors add and remove their own unavailability (as on "My calendar"), never a
colleague's; changing one stays with coordinators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from instructors.models import Unavailability
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

BODY = {
    "starts_at": "2030-03-05T00:00:00+01:00",
    "ends_at": "2030-03-06T00:00:00+01:00",
    "kind": "leave",
}


def _list(person) -> str:  # type: ignore[no-untyped-def]
    return reverse("api:instructors:unavailability-list", kwargs={"instructor_pk": person.pk})


def _detail(absence) -> str:  # type: ignore[no-untyped-def]
    return reverse(
        "api:instructors:unavailability-detail",
        kwargs={"instructor_pk": absence.instructor_id, "pk": absence.pk},
    )


def test_an_instructor_adds_and_removes_their_own_unavailability(as_user, instructor):
    api = as_user(instructor.user)
    created = api.post(_list(instructor), BODY, format="json")
    assert created.status_code == 201, created.json()
    absence = Unavailability.objects.get(instructor=instructor)
    assert api.patch(_detail(absence), {"note": "x"}, format="json").status_code == 403
    assert api.delete(_detail(absence)).status_code == 204
    assert not Unavailability.objects.exists()


def test_an_instructor_cannot_touch_a_colleagues_unavailability(as_user, instructor):
    colleague = factories.InstructorFactory()
    theirs = factories.UnavailabilityFactory(
        instructor=colleague, starts_at=at("2030-03-05", "09:00"), ends_at=at("2030-03-05", "12:00")
    )
    api = as_user(instructor.user)
    assert api.post(_list(colleague), BODY, format="json").status_code == 404
    assert api.delete(_detail(theirs)).status_code == 404
    assert Unavailability.objects.filter(instructor=colleague).count() == 1
