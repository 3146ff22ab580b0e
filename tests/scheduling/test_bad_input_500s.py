"""Bad input that used to end in a 500 gets a clear error instead, and nothing is written."""

from __future__ import annotations

import threading

import pytest
from django.db import connections, transaction
from django.urls import reverse

from scheduling.models import Session
from scheduling.services import BlockChange, session_reschedule
from tests.api import conftest as api_fixtures
from tests.conftest import NOW, at
from tests.web import conftest as web_fixtures
from tms.exceptions import Busy
from venues.models import Room

# This module lies outside tests/api and tests/web: borrow their fixtures.
as_user = api_fixtures.as_user
coordinator_api = api_fixtures.coordinator_api
row_counts = api_fixtures.row_counts
page_client = web_fixtures.page_client
static_root = web_fixtures.static_root

OUT_OF_RANGE = "Dates must lie between the years 1900 and 2999."


@pytest.mark.django_db
def test_a_block_changed_twice_in_one_reschedule_is_a_400_and_changes_nothing(
    coordinator_api, schedule, room, row_counts
):
    session = schedule()
    block = session.blocks.get()
    before = row_counts()
    change = {
        "block": block.pk,
        "starts_at": "2030-03-06T13:00:00+01:00",
        "ends_at": "2030-03-06T16:00:00+01:00",
    }

    response = coordinator_api.post(
        reverse("api:scheduling:session-reschedule", kwargs={"pk": session.pk}),
        {"changes": [change, change]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "rule_violation"
    assert "block" in response.json()["fields"]
    assert row_counts() == before
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert room.bookings.get().during.lower == at("2030-03-04", "09:00")


@pytest.mark.django_db
def test_a_session_list_ending_in_year_9999_shows_an_error(page_client, coordinator):
    response = page_client(coordinator).get(
        reverse("scheduling:session-list"), {"date_to": "9999-12-31"}
    )

    assert response.status_code < 500
    assert OUT_OF_RANGE in response.content.decode()


@pytest.mark.django_db
def test_a_room_search_in_year_9999_shows_a_form_error(page_client, coordinator):
    response = page_client(coordinator).get(
        reverse("scheduling:room-availability"),
        {
            "date": "9999-12-31",
            "starts": "22:00",
            "ends": "23:00",
            "time_zone": "America/New_York",
            "min_capacity": 1,
        },
    )

    assert response.status_code == 400
    assert OUT_OF_RANGE in response.content.decode()


def _hold_for_update(model: type, pk: int, locked: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    """On another connection: lock one row FOR UPDATE until `release` is set."""

    def hold() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    return threading.Thread(target=hold)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("held", ["session", "room"])
def test_a_lock_held_too_long_is_busy_and_nothing_is_written(schedule, room, held):
    """Someone else holds the session row (a long edit) or the room row (a closure being
    written): after the lock timeout the reschedule is `Busy`, not a database error."""
    session = schedule()
    block = session.blocks.get()
    locked, release = threading.Event(), threading.Event()
    target = (Session, session.pk) if held == "session" else (Room, room.pk)
    holder = _hold_for_update(*target, locked, release)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        with pytest.raises(Busy):
            session_reschedule(
                session_id=session.pk,
                changes=[
                    BlockChange(block.pk, at("2030-03-06", "13:00"), at("2030-03-06", "16:00"))
                ],
                now=NOW,
            )
    finally:
        release.set()
        holder.join(timeout=30)

    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")
    assert room.bookings.get().during.lower == at("2030-03-04", "09:00")
