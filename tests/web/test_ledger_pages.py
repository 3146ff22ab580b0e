"""The notification ledger: every message with its status, rule, attempts and last error;
filters and pagination; the 48-hour preview; resend for coordinators."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from attendance.services.registration import registration_create
from notifications.models import MessageStatus, OutboxMessage
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db

LEDGER = "notifications:message-list"


@pytest.fixture
def outbox(schedule, learners):  # type: ignore[no-untyped-def]
    """Three registration messages: one sent, one failed, one still queued."""
    session = schedule(status="scheduled", capacity=2)
    # The instructor's invite is not what these tests are about.
    OutboxMessage.objects.filter(template__startswith="instructor_").delete()
    people = learners(3)
    for person in people:
        registration_create(session_id=session.pk, learner=person, now=NOW)
    sent, failed, queued = OutboxMessage.objects.order_by("pk")
    OutboxMessage.objects.filter(pk=sent.pk).update(
        status=MessageStatus.SENT, attempts=1, sent_at=NOW, subject="Confirmed: SAFE-101"
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: 550 no such user",
    )
    return {"sent": sent, "failed": failed, "queued": queued, "people": people}


def test_the_ledger_shows_who_what_status_rule_attempts_and_errors(
    page_client, coordinator, outbox
):
    page = page_client(coordinator).get(reverse(LEDGER))
    assert page.status_code == 200
    assert [m.pk for m in page.context["page"].object_list] == [
        outbox["queued"].pk,
        outbox["failed"].pk,
        outbox["sent"].pk,
    ]
    html = page.content.decode()
    for person in outbox["people"]:
        assert person.email in html
    assert "Confirmed: SAFE-101" in html
    assert "Registration waitlisted" in html
    assert "registration (session full)" in html  # the rule
    assert "SMTPRecipientsRefused: 550 no such user" in html
    for status in ("Sent", "Failed", "Queued"):
        assert f">{status}</span>" in html
    # Resend only for messages that went out (or failed for good).
    resend = {
        m.pk
        for m in OutboxMessage.objects.all()
        if reverse("notifications:message-resend", args=[m.pk]) in html
    }
    assert resend == {outbox["sent"].pk, outbox["failed"].pk}


def test_the_ledger_filters_by_status_and_search(page_client, auditor, outbox):
    client = page_client(auditor)

    def shown(**params: str) -> list[int]:
        return [m.pk for m in client.get(reverse(LEDGER), params).context["page"].object_list]

    assert shown(status="failed") == [outbox["failed"].pk]
    assert shown(q=outbox["people"][0].email.upper()) == [outbox["sent"].pk]
    assert shown(q="registration.waitlisted") == [outbox["queued"].pk]
    assert shown(status="bounced") == []
    htmx = client.get(reverse(LEDGER), {"status": "sent"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode()
    assert "1 message" in htmx.content.decode()


def test_the_ledger_is_paginated_with_a_fixed_query_count(
    page_client, coordinator, outbox, django_assert_num_queries
):
    original = outbox["sent"]
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            recipient=original.recipient,
            channel=original.channel,
            address=original.address,
            event_key=f"bulk:{n}",
            template="reminder",
            rule="reminder 24 h before",
            available_at=NOW,
        )
        for n in range(60)
    )
    client = page_client(coordinator)
    first = client.get(reverse(LEDGER))
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 63
    second = client.get(reverse(LEDGER), {"page": 2})
    assert len(second.context["page"].object_list) == 13
    # Sign-in session, user, roles, count, one page of messages with their recipients, the
    # preview's blocks, and delivery health (latest worker heartbeat, the due backlog).
    with django_assert_num_queries(8):
        client.get(reverse(LEDGER), {"page": 2})


def test_resend_queues_a_linked_copy(page_client, coordinator, outbox):
    client = page_client(coordinator)
    failed = outbox["failed"]
    back = reverse(LEDGER) + "?status=failed"
    response = client.post(
        reverse("notifications:message-resend", args=[failed.pk]), {"next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    copy = OutboxMessage.objects.get(resend_of=failed)
    assert copy.status == MessageStatus.QUEUED
    assert (copy.channel, copy.address) == (failed.channel, failed.address)
    assert copy.rule == "resent by a coordinator"
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == "success"
    assert f"message #{copy.pk}" in str(message)

    # A message not sent yet cannot be resent: the page says so and writes nothing.
    queued = client.post(reverse("notifications:message-resend", args=[outbox["queued"].pk]))
    message = list(get_messages(queued.wsgi_request))[-1]
    assert (message.level_tag, str(message)) == ("error", "This message has not been sent yet.")
    assert OutboxMessage.objects.filter(resend_of__isnull=False).count() == 1
    assert client.post(reverse("notifications:message-resend", args=[999999])).status_code == 404


def test_the_preview_lists_reminders_due_in_the_next_48_hours(
    page_client, coordinator, schedule, learner
):
    session = schedule(status="scheduled")
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    with time_machine.travel(at("2030-03-03", "08:00"), tick=False):
        page = page_client(coordinator).get(reverse(LEDGER))
    preview = page.context["preview"]
    assert [item["rule"] for item in preview] == ["reminder 24 h before", "reminder 1 h before"]
    html = page.content.decode()
    assert "Next 48 hours" in html
    assert "reminder 24 h before" in html
    assert reverse("scheduling:session-detail", args=[session.pk]) in html
