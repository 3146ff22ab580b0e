"""Expiry reminders at 60, 30 and 7 days: each threshold once per certificate, through the
outbox, rendered in the holder's zone, named; none for a renewed certificate."""

from __future__ import annotations

import datetime as dt

import pytest

from compliance.services.certifications import certifications_issue_for_completion
from compliance.services.reminders import certification_reminders_enqueue_due
from notifications.models import OutboxMessage
from notifications.registry import Superseded, build
from notifications.transports import EMAIL
from tests.compliance.conftest import COMPLETED
from tests.conftest import at
from tms.models import Profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(learner, attended, certification):  # type: ignore[no-untyped-def]
    """FIRE-1 for `learner`, expiring 2031-03-04 12:00 Paris time."""
    completion = attended({learner: COMPLETED})[learner]
    return certifications_issue_for_completion(
        completion=completion, now=at("2030-03-05", "09:00")
    )[0]


def _keys() -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(template="certification_expiring").values_list(
            "event_key", flat=True
        )
    )


def test_each_threshold_sends_one_mail_and_never_twice(certificate):
    expires = certificate.expires_at
    key = f"certification_expiry:{certificate.pk}"

    assert certification_reminders_enqueue_due(now=expires - dt.timedelta(days=61)) == 0
    for days in (60, 30, 7):
        moment = expires - dt.timedelta(days=days) + dt.timedelta(minutes=1)
        assert certification_reminders_enqueue_due(now=moment) == 1
        assert certification_reminders_enqueue_due(now=moment + dt.timedelta(hours=1)) == 0

    assert _keys() == [f"{key}:30d", f"{key}:60d", f"{key}:7d"]
    # Expired: overdue shows on the pages, no more mail.
    assert certification_reminders_enqueue_due(now=expires + dt.timedelta(days=1)) == 0
    assert len(_keys()) == 3


def test_a_late_sweep_sends_only_the_nearest_threshold(certificate):
    expires = certificate.expires_at

    assert certification_reminders_enqueue_due(now=expires - dt.timedelta(days=20)) == 1
    assert certification_reminders_enqueue_due(now=expires - dt.timedelta(days=19)) == 0

    assert _keys() == [f"certification_expiry:{certificate.pk}:30d"]


def test_the_mail_names_the_expiry_in_the_holders_zone(certificate, learner):
    Profile.objects.create(user=learner, time_zone="America/New_York")
    certification_reminders_enqueue_due(now=certificate.expires_at - dt.timedelta(days=6))
    message = OutboxMessage.objects.get(template="certification_expiring")

    rendered = build(message)
    email = EMAIL.build(message, rendered)

    assert message.address == learner.email
    # 12:00 in Paris is 06:00 in New York (EST: 4 March is before the US clock change).
    assert "Tue 4 Mar 2031, 06:00 EST" in email.body
    assert "FIRE-1" in rendered.subject


def test_a_renewed_certificate_is_not_reminded(certificate, learner, attended):
    later = attended({learner: COMPLETED}, day="2030-06-10")[learner]
    certifications_issue_for_completion(completion=later, now=at("2030-06-11", "09:00"))

    # The old one's 7-day mark: nothing, it is no longer current.
    assert (
        certification_reminders_enqueue_due(now=certificate.expires_at - dt.timedelta(days=6)) == 0
    )


def test_a_reminder_for_a_certificate_renewed_meanwhile_is_not_sent(certificate, learner, attended):
    certification_reminders_enqueue_due(now=certificate.expires_at - dt.timedelta(days=6))
    later = attended({learner: COMPLETED}, day="2030-06-10")[learner]
    certifications_issue_for_completion(completion=later, now=at("2030-06-11", "09:00"))

    with pytest.raises(Superseded):
        build(OutboxMessage.objects.get(template="certification_expiring"))
