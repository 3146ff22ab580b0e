"""A learner's calendar feed shows their own registrations only: confirmed seats as CONFIRMED
(with the join link of a video session), waitlist places as TENTATIVE without it, cancelled
ones as CANCELLED for 30 days; never another learner."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import time_machine
from django.test import Client

from attendance.services.registration import registration_cancel, registration_create
from notifications.ical import block_uid
from scheduling.models import DeliveryMode, FeedKind
from scheduling.services.feed_tokens import feed_token_issue
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def feed_of(user) -> str:  # type: ignore[no-untyped-def]
    _token, raw = feed_token_issue(actor=user, kind=FeedKind.LEARNER, owner_id=user.pk, now=TODAY)
    return f"/feeds/{raw}.ics"


def events(url: str, **headers: str) -> dict[str, icalendar.Event]:
    response = Client().get(url, **headers)
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def register(session, learner) -> int:  # type: ignore[no-untyped-def]
    return registration_create(session_id=session.pk, learner=learner, now=NOW).registration_id


def test_the_feed_has_the_learners_own_blocks_with_the_invite_uids(published, learners):
    me, other = learners(2)
    session = published(capacity=5)
    mine = register(session, me)
    register(session, other)
    block = session.blocks.get()
    found = events(feed_of(me))
    assert list(found) == [block_uid(block.pk, f"r{mine}")]
    assert str(found[block_uid(block.pk, f"r{mine}")]["STATUS"]) == "CONFIRMED"


def test_no_other_learner_appears_in_the_feed(published, learners):
    me, other = learners(2)
    other.first_name, other.last_name = "Zebulon", "Quartermain"
    other.save()
    session = published(capacity=5)
    register(session, me)
    register(session, other)
    text = Client().get(feed_of(me)).content.decode()
    assert "Quartermain" not in text
    assert other.email not in text
    assert events(feed_of(other)).keys().isdisjoint(events(feed_of(me)).keys())


def test_the_join_link_only_for_a_confirmed_seat(published, learners, host_account):
    seated, waiting = learners(2)
    session = published(capacity=1, mode=DeliveryMode.VILT, host_account=host_account)
    assert session.join_url
    register(session, seated)
    waiting_id = register(session, waiting)
    block = session.blocks.get()

    confirmed_text = Client().get(feed_of(seated)).content.decode().replace("\r\n ", "")
    assert session.join_url in confirmed_text

    waiting_text = Client().get(feed_of(waiting)).content.decode().replace("\r\n ", "")
    assert session.join_url not in waiting_text
    (event,) = icalendar.Calendar.from_ical(waiting_text).walk("VEVENT")
    assert str(event["UID"]) == block_uid(block.pk, f"r{waiting_id}")
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "waitlist" in str(event["DESCRIPTION"]).lower()


def test_a_cancelled_registration_stays_30_days_then_goes(published, learner, clock):
    session = published(capacity=5)
    registration_id = register(session, learner)
    url = feed_of(learner)
    first = Client().get(url)
    registration_cancel(registration_id=registration_id, cancelled_by=learner, now=TODAY)
    uid = block_uid(session.blocks.get().pk, f"r{registration_id}")

    changed = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    (event,) = icalendar.Calendar.from_ical(changed.content.decode()).walk("VEVENT")
    assert str(event["UID"]) == uid
    assert str(event["STATUS"]) == "CANCELLED"

    clock.move_to(TODAY.replace(hour=23) + dt.timedelta(days=30))
    assert uid in events(url)
    clock.move_to(TODAY.replace(hour=0) + dt.timedelta(days=31))
    assert events(url) == {}


def test_registering_again_after_cancelling_gives_fresh_events(published, learner):
    session = published(capacity=5)
    old = register(session, learner)
    registration_cancel(registration_id=old, cancelled_by=learner, now=TODAY)
    new = register(session, learner)
    block = session.blocks.get()
    found = events(feed_of(learner))
    assert {uid: str(e["STATUS"]) for uid, e in found.items()} == {
        block_uid(block.pk, f"r{old}"): "CANCELLED",
        block_uid(block.pk, f"r{new}"): "CONFIRMED",
    }


def test_a_learner_feed_fetch_costs_a_constant_number_of_queries(
    published, learner, schedule, django_assert_num_queries
):
    url = feed_of(learner)
    register(published(capacity=5), learner)
    with django_assert_num_queries(4):
        Client().get(url)
    for day in (10, 11, 12, 13, 14):
        start = dt.datetime(2030, 4, day, 8, tzinfo=dt.UTC)
        register(schedule([(start, start + dt.timedelta(hours=2))], status="scheduled"), learner)
    with django_assert_num_queries(4):
        assert len(events(url)) == 6


def test_a_learner_sees_nothing_of_sessions_they_are_not_in(published, learners):
    me, other = learners(2)
    register(published(capacity=5), other)
    assert events(feed_of(me)) == {}


def test_a_promotion_changes_the_etag_even_within_the_same_instant(
    published, learners, host_account
):
    seated, waiting = learners(2)
    session = published(capacity=1, mode=DeliveryMode.VILT, host_account=host_account)
    first = register(session, seated)
    register(session, waiting)
    url = feed_of(waiting)
    before = Client().get(url)
    # Cancelled at the very instant the registrations were written: no timestamp moves.
    registration_cancel(registration_id=first, cancelled_by=seated, now=NOW)
    after = Client().get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    (event,) = icalendar.Calendar.from_ical(after.content.decode()).walk("VEVENT")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert session.join_url in after.content.decode().replace("\r\n ", "")


def test_a_learners_fetches_are_logged_with_their_answers(
    published, learner, django_assert_num_queries
):
    from scheduling.models import FeedFetch

    register(published(capacity=5), learner)
    url = feed_of(learner)
    first = Client().get(url, HTTP_USER_AGENT="DAVx5")
    with django_assert_num_queries(3):  # token, validators, log
        again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_USER_AGENT="DAVx5")
    assert again.status_code == 304
    logged = FeedFetch.objects.order_by("pk").values_list("status_code", "user_agent")
    assert list(logged) == [(200, "DAVx5"), (304, "DAVx5")]
