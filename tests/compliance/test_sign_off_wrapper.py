"""`sign_off_and_certify`: attendance's sign-off and the certificates it earns in one
transaction. Attendance's service joins at merge; a stand-in records the outcomes here."""

from __future__ import annotations

import types

import pytest

import attendance.services
from attendance.models import Completion, Registration, RegistrationStatus
from attendance.services.registration import registration_create
from compliance.models import LearnerCertification
from compliance.services.sign_off import sign_off_and_certify
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
AFTER = at("2030-03-04", "13:00")


@pytest.fixture
def session_with_seat(schedule, learner, certification):  # type: ignore[no-untyped-def]
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    return session


def _stand_in(monkeypatch, *, fail: bool = False):  # type: ignore[no-untyped-def]
    def attendance_sign_off(*, session_id, now, **kwargs):  # type: ignore[no-untyped-def]
        for registration in Registration.objects.filter(
            session_id=session_id, status=RegistrationStatus.CONFIRMED
        ):
            Completion.objects.create(
                registration=registration, status="completed", recorded_at=now
            )
        if fail:
            raise RuntimeError("sign-off refused")
        return "signed"

    module = types.SimpleNamespace(attendance_sign_off=attendance_sign_off)
    monkeypatch.setattr(attendance.services, "sign_off", module, raising=False)


def test_signing_off_issues_the_certificates_earned(monkeypatch, session_with_seat, learner):
    _stand_in(monkeypatch)

    result = sign_off_and_certify(session_id=session_with_seat.pk, now=AFTER, signed_off_by=None)

    assert result == "signed"
    assert LearnerCertification.objects.get().learner == learner


def test_a_failed_sign_off_issues_nothing(monkeypatch, session_with_seat):
    _stand_in(monkeypatch, fail=True)

    with pytest.raises(RuntimeError):
        sign_off_and_certify(session_id=session_with_seat.pk, now=AFTER, signed_off_by=None)

    assert not Completion.objects.exists()
    assert not LearnerCertification.objects.exists()
