"""The register endpoint builds its body by hand for speed: it must equal the serializer's."""

import pytest

from attendance.api import register_result
from attendance.serializers import RegisterResultOutput
from attendance.services.registration import registration_create
from tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("capacity", [1, 0])
def test_hand_built_register_body_matches_the_documented_serializer(schedule, learners, capacity):
    session = schedule(status="scheduled", capacity=1)
    first, second = learners(2)
    outcome = registration_create(session_id=session.pk, learner=first, now=NOW)
    if capacity == 0:  # the second learner is waitlisted
        outcome = registration_create(session_id=session.pk, learner=second, now=NOW)
    fast = register_result(outcome).data
    registration = outcome.row()
    registration.position = outcome.position
    documented = RegisterResultOutput(
        {
            "registration": registration,
            "status": registration.status,
            "position": outcome.position,
            "message": fast["message"],
        }
    ).data
    assert fast == documented
