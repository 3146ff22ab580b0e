"""Calendar subscription feeds of the schedule (instructor, room, site): tokens, access, content,
validators (ETag / Last-Modified / 304), the fetch log and the cost of a fetch."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from notifications.ical import block_uid
from scheduling.models import DeliveryMode, FeedFetch, FeedKind, FeedToken
from scheduling.services import block_cancel, session_reschedule, session_transition
from scheduling.services.blocks import BlockChange
from scheduling.services.feed_tokens import (
    FeedNotAllowed,
    feed_token_issue,
    feed_token_revoke,
    hash_token,
)
from tests import factories
from tests.conftest import NOW, at

pytestmark = pytest.mark.django_db
# Pages and feeds read the real clock: travel to a "today" before the sessions (2030-03-04).
TODAY = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def issue(actor, kind: str, owner_id: int) -> str:  # type: ignore[no-untyped-def]
    _token, raw = feed_token_issue(actor=actor, kind=kind, owner_id=owner_id, now=TODAY)
    return raw


def fetch(raw: str, **headers: str):  # type: ignore[no-untyped-def]
    return Client().get(f"/feeds/{raw}.ics", **headers)


def events(response) -> dict[str, icalendar.Event]:  # type: ignore[no-untyped-def]
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_token_is_long_random_and_only_its_hash_is_stored(instructor):
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    assert len(raw) >= 43  # 32 random bytes, URL-safe base64
    token = FeedToken.objects.get()
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.token_hash, token.hint}
    assert not FeedToken.objects.filter(token_hash=raw).exists()


def test_the_instructor_feed_has_their_blocks_with_the_invite_uids(schedule, instructor):
    session = schedule(status="scheduled")
    block = session.blocks.get()
    assignment = session.assignments.get()
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    response = fetch(raw)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    uid = block_uid(block.pk, f"a{assignment.pk}")
    assert list(found) == [uid]
    event = found[uid]
    assert event["DTSTART"].dt == at("2030-03-04", "09:00")
    assert int(event["SEQUENCE"]) == session.schedule_version
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(reverse("scheduling:session-detail", args=[session.pk]))
    assert block.room.name in str(event["LOCATION"])
    assert block.room.site.name in str(event["LOCATION"])


def test_an_unknown_or_revoked_token_gets_404(instructor, coordinator):
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    assert fetch(raw).status_code == 200
    assert fetch(raw[:-1] + ("A" if raw[-1] != "A" else "B")).status_code == 404
    token = FeedToken.objects.get()
    feed_token_revoke(actor=coordinator, token_id=token.pk, now=TODAY)
    assert fetch(raw).status_code == 404


def test_regenerating_revokes_the_old_link(instructor):
    old = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    new = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    assert fetch(old).status_code == 404
    assert fetch(new).status_code == 200
    assert FeedToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_who_may_issue_which_feed(instructor, learner, coordinator, room):
    other = factories.InstructorFactory()
    with pytest.raises(FeedNotAllowed):
        issue(instructor.user, FeedKind.INSTRUCTOR, other.pk)
    with pytest.raises(FeedNotAllowed):
        issue(learner, FeedKind.ROOM, room.pk)
    with pytest.raises(FeedNotAllowed):
        issue(instructor.user, FeedKind.SITE, room.site.pk)
    with pytest.raises(FeedNotAllowed):
        issue(instructor.user, FeedKind.LEARNER, learner.pk)
    assert issue(learner, FeedKind.LEARNER, learner.pk)
    assert issue(coordinator, FeedKind.ROOM, room.pk)
    assert issue(coordinator, FeedKind.SITE, room.site.pk)
    assert issue(coordinator, FeedKind.INSTRUCTOR, other.pk)


def test_another_instructors_token_shows_only_their_teaching(schedule, instructor, room):
    other = factories.InstructorFactory()
    mine = schedule(status="scheduled")
    theirs = schedule(
        [(at("2030-03-05", "09:00"), at("2030-03-05", "12:00"))],
        instructors=[other],
        status="scheduled",
    )
    found = events(fetch(issue(other.user, FeedKind.INSTRUCTOR, other.pk)))
    assert list(found) == [block_uid(theirs.blocks.get().pk, f"a{theirs.assignments.get().pk}")]
    mine_url = reverse("scheduling:session-detail", args=[mine.pk])
    assert not any(str(e["URL"]).endswith(mine_url) for e in found.values())


def test_room_and_site_feeds_show_course_and_session_but_no_people(schedule, room, coordinator):
    session = schedule(status="scheduled")
    learner = factories.UserFactory(first_name="Zebulon", last_name="Quartermain", role="Learner")
    from attendance.services.registration import registration_create

    registration_create(session_id=session.pk, learner=learner, now=NOW)
    block = session.blocks.get()
    other_room = factories.RoomFactory(site=room.site)
    elsewhere = factories.RoomFactory()
    for kind, owner, uid_owner in (
        (FeedKind.ROOM, room.pk, f"room{room.pk}"),
        (FeedKind.SITE, room.site.pk, f"site{room.site.pk}"),
    ):
        response = fetch(issue(coordinator, kind, owner))
        found = events(response)
        assert list(found) == [block_uid(block.pk, uid_owner)]
        assert session.course.code in str(found[block_uid(block.pk, uid_owner)]["SUMMARY"])
        text = response.content.decode()
        assert "Quartermain" not in text
        assert learner.email not in text
        assert session.created_by is None or session.created_by.email not in text
    assert events(fetch(issue(coordinator, FeedKind.ROOM, other_room.pk))) == {}
    assert events(fetch(issue(coordinator, FeedKind.SITE, elsewhere.site.pk))) == {}


def test_the_join_link_is_in_the_instructor_feed_only(schedule, instructor, host_account):
    session = schedule(mode=DeliveryMode.VILT, host_account=host_account, status="scheduled")
    assert session.join_url
    text = fetch(issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)).content.decode()
    assert session.join_url in text.replace("\r\n ", "")


def test_a_changed_block_changes_etag_sequence_and_last_modified(schedule, instructor, clock):
    session = schedule(status="scheduled")
    block = session.blocks.get()
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    first = fetch(raw)
    etag, modified = first["ETag"], first["Last-Modified"]
    before = next(iter(events(first).values()))
    assert fetch(raw, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert fetch(raw, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304

    clock.shift(dt.timedelta(hours=1))
    session_reschedule(
        session_id=session.pk,
        changes=[BlockChange(block.pk, at("2030-03-04", "13:00"), at("2030-03-04", "16:00"))],
        now=TODAY,
    )
    second = fetch(raw, HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 200
    assert second["ETag"] != etag
    assert second["Last-Modified"] != modified
    after = next(iter(events(second).values()))
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt
    assert after["DTSTART"].dt == at("2030-03-04", "13:00")
    assert fetch(raw, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304


def test_a_304_has_no_body_and_the_same_validators(schedule, instructor):
    schedule(status="scheduled")
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    first = fetch(raw)
    again = fetch(raw, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert "private" in again["Cache-Control"]
    assert fetch(raw).content == first.content  # the same calendar reads the same: strong ETag


def test_cancelled_blocks_stay_30_days_then_drop_out(schedule, instructor, clock):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ],
        status="scheduled",
    )
    first, second = session.blocks.order_by("starts_at")
    assignment = session.assignments.get()
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    block_cancel(session_id=session.pk, block_id=second.pk, reason="Trainer ill")
    found = events(fetch(raw))
    assert str(found[block_uid(second.pk, f"a{assignment.pk}")]["STATUS"]) == "CANCELLED"
    assert str(found[block_uid(first.pk, f"a{assignment.pk}")]["STATUS"]) == "CONFIRMED"

    # Kept 30 days, to the end of that (UTC) day; gone at the next midnight.
    clock.move_to(TODAY.replace(hour=23, minute=59) + dt.timedelta(days=30))
    assert block_uid(second.pk, f"a{assignment.pk}") in events(fetch(raw))
    clock.move_to(TODAY.replace(hour=0) + dt.timedelta(days=31))
    assert list(events(fetch(raw))) == [block_uid(first.pk, f"a{assignment.pk}")]


def test_a_cancelled_session_stays_30_days_and_drafts_are_tentative(
    schedule, instructor, coordinator, clock
):
    draft = schedule()
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    (event,) = events(fetch(raw)).values()
    assert str(event["STATUS"]) == "TENTATIVE"
    session_transition(session_id=draft.pk, to_status="cancelled", reason="No demand", now=TODAY)
    (event,) = events(fetch(raw)).values()
    assert str(event["STATUS"]) == "CANCELLED"
    clock.move_to(TODAY + dt.timedelta(days=31))
    assert events(fetch(raw)) == {}


def test_the_window_reaches_90_days_back(schedule, instructor, clock):
    schedule(status="scheduled")  # ends 2030-03-04 11:00 UTC
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    clock.move_to(dt.datetime(2030, 6, 2, 23, 59, tzinfo=dt.UTC))  # 90 days after 4 March
    kept = fetch(raw)
    assert len(events(kept)) == 1
    clock.move_to(dt.datetime(2030, 6, 3, 0, 1, tzinfo=dt.UTC))
    # The feed changed with no row changing: both validators say so.
    assert fetch(raw, HTTP_IF_NONE_MATCH=kept["ETag"]).status_code == 200
    gone = fetch(raw, HTTP_IF_MODIFIED_SINCE=kept["Last-Modified"])
    assert gone.status_code == 200
    assert events(gone) == {}


def test_every_fetch_is_logged_with_address_and_client(schedule, instructor):
    schedule(status="scheduled")
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    first = fetch(raw, HTTP_USER_AGENT="Thunderbird/128", REMOTE_ADDR="203.0.113.7")
    fetch(raw, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_USER_AGENT="Thunderbird/128")
    fetch("not-a-token")
    rows = list(FeedFetch.objects.order_by("pk"))
    assert [(r.status_code, r.user_agent) for r in rows] == [
        (200, "Thunderbird/128"),
        (304, "Thunderbird/128"),
    ]
    assert rows[0].client_ip == "203.0.113.7"
    assert rows[0].fetched_at == TODAY
    assert {r.token.instructor_id for r in rows} == {instructor.pk}


def test_the_log_has_the_status_answered_whatever_the_headers(schedule, instructor):
    schedule(status="scheduled")
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    first = fetch(raw)
    etag, modified = first["ETag"], first["Last-Modified"]
    answers = [
        fetch(raw, HTTP_IF_NONE_MATCH=etag).status_code,
        fetch(raw, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code,
        fetch(raw, HTTP_IF_MODIFIED_SINCE=modified).status_code,
        fetch(raw, HTTP_IF_NONE_MATCH='"other"').status_code,
        # Matches If-None-Match, fails If-Match: a 412, although the lookup logged a 304.
        fetch(raw, HTTP_IF_NONE_MATCH=etag, HTTP_IF_MATCH='"other"').status_code,
    ]
    assert answers == [304, 304, 304, 200, 412]
    logged = list(FeedFetch.objects.order_by("pk").values_list("status_code", flat=True))
    assert logged == [200, *answers]


def test_a_fetch_costs_a_constant_number_of_queries(
    schedule, instructor, django_assert_num_queries
):
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    schedule(status="scheduled")
    with django_assert_num_queries(3):  # token with its change marks, rows, log
        small = fetch(raw)
    day = dt.date(2030, 4, 1)
    for n in range(12):
        start = at((day + dt.timedelta(days=n)).isoformat(), "09:00")
        schedule([(start, start + dt.timedelta(hours=2))], status="scheduled")
    with django_assert_num_queries(3):
        large = fetch(raw)
    assert len(events(large)) == 13
    with django_assert_num_queries(1):  # token with its change marks and the log
        assert fetch(raw, HTTP_IF_NONE_MATCH=large["ETag"]).status_code == 304
    assert small["ETag"] != large["ETag"]


def test_long_non_ascii_summaries_are_folded_at_75_octets(schedule, instructor):
    course = factories.CourseFactory(
        code="SÉC-1", title="Sécurité incendie — évacuation, 消防安全培训; " * 4
    )
    schedule(status="scheduled", the_course=course)
    text = fetch(issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)).content
    lines = text.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert not re.search(rb"(?<!\r)\n", text)
    lines[0].decode()  # every line is valid UTF-8: no character cut in half
    for line in lines:
        line.decode()
    (event,) = icalendar.Calendar.from_ical(text.decode()).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{course.code} {course.title}"


def test_a_co_taught_session_shows_once_per_block_in_each_instructors_feed(schedule, instructor):
    other = factories.InstructorFactory()
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "09:00"), at("2030-03-05", "12:00")),
        ],
        instructors=[instructor, other],
        status="scheduled",
    )
    blocks = list(session.blocks.order_by("starts_at"))
    for person in (instructor, other):
        assignment = session.assignments.get(instructor=person)
        found = events(fetch(issue(person.user, FeedKind.INSTRUCTOR, person.pk)))
        assert list(found) == [block_uid(b.pk, f"a{assignment.pk}") for b in blocks]


def test_an_unassigned_instructor_loses_the_events(schedule, instructor):
    from scheduling.services import session_unassign_instructor

    other = factories.InstructorFactory()
    session = schedule(instructors=[instructor, other], status="scheduled")
    raw = issue(other.user, FeedKind.INSTRUCTOR, other.pk)
    first = fetch(raw)
    assert len(events(first)) == 1
    session_unassign_instructor(
        session_id=session.pk, assignment_id=session.assignments.get(instructor=other).pk
    )
    second = fetch(raw, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert events(second) == {}


def test_room_and_site_feeds_never_carry_a_join_link(schedule, coordinator, room):
    session = schedule(status="scheduled")
    session.join_url = "https://meet.example.org/secret-room"
    session.save()
    for kind, owner in ((FeedKind.ROOM, room.pk), (FeedKind.SITE, room.site.pk)):
        text = fetch(issue(coordinator, kind, owner)).content.decode().replace("\r\n ", "")
        assert "secret-room" not in text


def test_a_renamed_course_or_room_changes_the_etag(schedule, instructor, room, clock):
    session = schedule(status="scheduled")
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    etag = fetch(raw)["ETag"]
    clock.shift(dt.timedelta(minutes=5))
    course = session.course
    course.title = "Fire safety, renamed"
    course.save()
    renamed = fetch(raw, HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200
    assert "Fire safety\\, renamed" in renamed.content.decode()
    clock.shift(dt.timedelta(minutes=5))
    room.name = "Salle Lovelace"
    room.save()
    moved = fetch(raw, HTTP_IF_NONE_MATCH=renamed["ETag"])
    assert moved.status_code == 200
    assert "Salle Lovelace" in moved.content.decode()


def test_head_and_post(schedule, instructor):
    schedule(status="scheduled")
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    head = Client().head(f"/feeds/{raw}.ics")
    assert head.status_code == 200
    assert head["ETag"]
    assert Client().post(f"/feeds/{raw}.ics").status_code == 405


def test_the_admin_shows_tokens_and_fetches_read_only(schedule, instructor):
    raw = issue(instructor.user, FeedKind.INSTRUCTOR, instructor.pk)
    fetch(raw, HTTP_USER_AGENT="Outlook")
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    fetches = client.get("/admin/scheduling/feedfetch/")
    assert fetches.status_code == 200
    assert "Outlook" in fetches.content.decode()
    tokens = client.get("/admin/scheduling/feedtoken/")
    assert tokens.status_code == 200
    assert raw not in tokens.content.decode()
    assert client.get("/admin/scheduling/feedtoken/add/").status_code == 403
