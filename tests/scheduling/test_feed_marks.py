"""The schedule feeds' validators come from change marks the database leaves (triggers): every
write path changes the ETag of exactly the feeds it touches — services, QuerySet.update(), raw
SQL — a change committed out of id order still does, and registering a learner leaves none."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
import time_machine
from django.db import connection
from django.test import Client

from scheduling.models import (
    AssignmentRole,
    FeedChange,
    FeedKind,
    InstructorAssignment,
    Session,
    SessionBlock,
)
from scheduling.services.feed_tokens import feed_token_issue
from tests import factories
from tests.conftest import at

TODAY = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def feed(actor, kind: str, owner_id: int) -> str:  # type: ignore[no-untyped-def]
    _token, raw = feed_token_issue(actor=actor, kind=kind, owner_id=owner_id, now=TODAY)
    return f"/feeds/{raw}.ics"


def etag(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200
    return str(response["ETag"])


def still_current(url: str, tag: str) -> bool:
    status = Client().get(url, HTTP_IF_NONE_MATCH=tag).status_code
    assert status in {200, 304}
    return bool(status == 304)


def sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def feeds(schedule, instructor, room, coordinator):  # type: ignore[no-untyped-def]
    """A session of the instructor in the room, and the instructor's, room's and site's feeds."""
    session = schedule(status="scheduled")
    return session, {
        "instructor": feed(instructor.user, FeedKind.INSTRUCTOR, instructor.pk),
        "room": feed(coordinator, FeedKind.ROOM, room.pk),
        "site": feed(coordinator, FeedKind.SITE, room.site_id),
    }


@pytest.mark.django_db
def test_raw_sql_moving_a_block_changes_every_feed_showing_it(feeds):
    session, urls = feeds
    block = session.blocks.get()
    before = {name: etag(url) for name, url in urls.items()}
    sql(
        "UPDATE scheduling_sessionblock SET starts_at = starts_at + interval '1 hour', "
        "ends_at = ends_at + interval '1 hour' WHERE id = %s",
        [block.pk],
    )
    for name, url in urls.items():
        assert not still_current(url, before[name]), name


@pytest.mark.django_db
def test_queryset_update_of_a_session_changes_its_feeds(feeds):
    session, urls = feeds
    before = {name: etag(url) for name, url in urls.items()}
    # No updated_at moves: only the trigger can tell.
    Session.objects.filter(pk=session.pk).update(status="draft")
    for name, url in urls.items():
        assert not still_current(url, before[name]), name
    assert "TENTATIVE" in Client().get(urls["room"]).content.decode()


@pytest.mark.django_db
def test_raw_sql_renaming_a_room_or_a_course_changes_the_feeds(feeds, room):
    session, urls = feeds
    before = {name: etag(url) for name, url in urls.items()}
    sql("UPDATE venues_room SET name = 'Salle Hopper' WHERE id = %s", [room.pk])
    for name, url in urls.items():
        assert not still_current(url, before[name]), name
        assert "Salle Hopper" in Client().get(url).content.decode()
    renamed = etag(urls["instructor"])
    sql("UPDATE scheduling_course SET title = 'Renamed' WHERE id = %s", [session.course_id])
    assert not still_current(urls["instructor"], renamed)


@pytest.mark.django_db
def test_moving_a_block_to_another_room_changes_both_rooms_feeds(feeds, room, coordinator):
    session, urls = feeds
    elsewhere = factories.RoomFactory()  # another site
    other_room = feed(coordinator, FeedKind.ROOM, elsewhere.pk)
    other_site = feed(coordinator, FeedKind.SITE, elsewhere.site_id)
    before = {url: etag(url) for url in (urls["room"], urls["site"], other_room, other_site)}
    SessionBlock.objects.filter(session=session).update(room=elsewhere)
    for url, tag in before.items():
        assert not still_current(url, tag)
    assert "BEGIN:VEVENT" not in Client().get(urls["room"]).content.decode()
    assert elsewhere.name in Client().get(other_room).content.decode()


@pytest.mark.django_db
def test_assignment_changes_change_only_that_instructors_feed(instructor, feeds):
    session, urls = feeds
    other = factories.InstructorFactory()
    other_url = feed(other.user, FeedKind.INSTRUCTOR, other.pk)
    mine, theirs, room = etag(urls["instructor"]), etag(other_url), etag(urls["room"])
    assignment = InstructorAssignment.objects.create(
        session=session, instructor=other, role=AssignmentRole.CO_FACILITATOR
    )
    assert not still_current(other_url, theirs)
    assert still_current(urls["instructor"], mine)
    assert still_current(urls["room"], room)  # rooms and sites show no instructors
    theirs = etag(other_url)
    InstructorAssignment.objects.filter(session=session, instructor=instructor).update(
        role=AssignmentRole.CO_FACILITATOR
    )
    assert not still_current(urls["instructor"], mine)
    assert still_current(other_url, theirs)
    sql("DELETE FROM scheduling_instructorassignment WHERE id = %s", [assignment.pk])
    assert not still_current(other_url, theirs)
    assert "BEGIN:VEVENT" not in Client().get(other_url).content.decode()


@pytest.mark.django_db
def test_a_change_elsewhere_leaves_a_feed_current(schedule, feeds):
    _session, urls = feeds
    other = factories.InstructorFactory()
    elsewhere = factories.RoomFactory()
    before = etag(urls["instructor"])
    schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        instructors=[other],
        rooms=[elsewhere],
        status="scheduled",
    )
    assert still_current(urls["instructor"], before)


@pytest.mark.django_db
def test_the_etag_changes_when_a_cancelled_session_leaves_the_window(feeds, clock):
    session, urls = feeds
    Session.objects.filter(pk=session.pk).update(
        status="cancelled", cancellation_reason="No demand", updated_at=TODAY
    )
    clock.move_to(TODAY.replace(hour=23) + dt.timedelta(days=30))
    kept = etag(urls["instructor"])
    assert "CANCELLED" in Client().get(urls["instructor"]).content.decode()
    assert still_current(urls["instructor"], kept)
    clock.move_to(TODAY.replace(hour=0, minute=1) + dt.timedelta(days=31))
    gone = Client().get(urls["instructor"], HTTP_IF_NONE_MATCH=kept)
    assert gone.status_code == 200
    assert "VEVENT" not in gone.content.decode()


@pytest.mark.django_db
def test_an_owner_keeps_about_one_mark(feeds, instructor):
    session, _urls = feeds
    block = session.blocks.get()
    for minutes in range(5):
        SessionBlock.objects.filter(pk=block.pk).update(
            ends_at=block.ends_at + dt.timedelta(minutes=minutes + 1)
        )
    assert FeedChange.objects.filter(kind=FeedKind.INSTRUCTOR, owner_id=instructor.pk).count() == 1


@pytest.mark.django_db
def test_registering_a_learner_leaves_no_mark(published, learner):
    from attendance.services.registration import registration_create
    from tests.conftest import NOW

    session = published(capacity=5)
    marks = FeedChange.objects.count()
    latest = FeedChange.objects.order_by("-pk").values_list("pk", flat=True).first()
    registration_create(session_id=session.pk, learner=learner, now=NOW)
    assert FeedChange.objects.count() == marks
    assert FeedChange.objects.order_by("-pk").values_list("pk", flat=True).first() == latest


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_newer_one_still_changes_the_etag(feeds):
    session, urls = feeds
    first = session.blocks.get()
    second = SessionBlock.objects.create(
        session=session,
        starts_at=at("2030-03-05", "09:00"),
        ends_at=at("2030-03-05", "12:00"),
        room=first.room,
    )
    slow = psycopg2.connect(**connection.get_connection_params())
    try:
        with slow.cursor() as cursor:  # takes the smaller mark id, commits last
            cursor.execute(
                "UPDATE scheduling_sessionblock SET ends_at = ends_at + interval '5 minutes' "
                "WHERE id = %s",
                [first.pk],
            )
        SessionBlock.objects.filter(pk=second.pk).update(ends_at=at("2030-03-05", "12:30"))
        seen = {name: etag(url) for name, url in urls.items()}
        slow.commit()
    finally:
        slow.close()
    for name, url in urls.items():
        assert not still_current(url, seen[name]), name
