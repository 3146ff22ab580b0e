"""Clock changes on the scheduling pages: a time the clocks skip is refused with a message that
names the change (never a shrunken, empty or reversed block), and a time the clocks repeat
means its first occurrence, with a warning that says so."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from scheduling.models import Session, SessionBlock
from tests import factories
from tests.conftest import at

pytestmark = pytest.mark.django_db

CREATE = "scheduling:session-create"
CHECK = "scheduling:session-check"

# (zone, a Sunday when the clocks go forward, a time they skip, what the message names)
SPRING_GAPS = [
    ("Europe/Paris", "2030-03-31", "02:30", "Sun 31 Mar 2030", "from 02:00 to 03:00"),
    ("America/New_York", "2030-03-10", "02:30", "Sun 10 Mar 2030", "from 02:00 to 03:00"),
    ("Australia/Sydney", "2030-10-06", "02:30", "Sun 6 Oct 2030", "from 02:00 to 03:00"),
    ("Australia/Lord_Howe", "2030-10-06", "02:15", "Sun 6 Oct 2030", "from 02:00 to 02:30"),
]


def _room_in(zone: str):  # type: ignore[no-untyped-def]
    return factories.RoomFactory(site=factories.SiteFactory(time_zone=zone))


@pytest.mark.parametrize(("zone", "day", "clock", "day_text", "change"), SPRING_GAPS)
def test_a_block_starting_in_the_spring_gap_is_refused_naming_the_clock_change(
    page_client, coordinator, form_data, zone, day, clock, day_text, change
):
    room = _room_in(zone)
    data = form_data(
        time_zone=zone,
        **{
            "blocks-0-date": day,
            "blocks-0-starts": clock,
            "blocks-0-ends": "05:00",
            "blocks-0-room": room.pk,
        },
    )

    response = page_client(coordinator).post(reverse(CREATE), data)

    assert response.status_code == 400
    row = response.context["blocks"].forms[0]
    expected = f"{clock} does not exist on {day_text} in {zone}: clocks go forward {change}."
    assert row.errors["starts"] == [expected]
    assert expected in response.content.decode()
    assert Session.objects.count() == 0


def test_a_block_whose_start_moves_past_its_end_names_the_clock_change_not_the_order(
    page_client, coordinator, form_data
):
    # 02:30-03:15 on the spring Sunday: 02:30 does not exist. Moving it forward to 03:30 would
    # put the start after the end and blame the user for the order of the times.
    data = form_data(
        **{"blocks-0-date": "2030-03-31", "blocks-0-starts": "02:30", "blocks-0-ends": "03:15"}
    )

    response = page_client(coordinator).post(reverse(CHECK), data)

    html = response.content.decode()
    assert "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris" in html
    assert "must end after it starts" not in html
    assert Session.objects.count() == 0


def test_a_block_ending_in_the_gap_is_refused_on_its_end(page_client, coordinator, form_data):
    data = form_data(
        **{"blocks-0-date": "2030-03-31", "blocks-0-starts": "01:00", "blocks-0-ends": "02:45"}
    )

    response = page_client(coordinator).post(reverse(CREATE), data)

    assert response.status_code == 400
    row = response.context["blocks"].forms[0]
    assert row.errors["ends"] == [
        "02:45 does not exist on Sun 31 Mar 2030 in Europe/Paris: "
        "clocks go forward from 02:00 to 03:00."
    ]


def test_a_weekly_repeat_meeting_the_gap_is_refused_on_the_form(
    page_client, coordinator, form_data
):
    data = form_data(
        schedule="weekly",
        weekly_first_day="2030-03-24",
        weekly_starts="02:30",
        weekly_ends="04:00",
        weekly_occurrences="3",
        weekly_room=form_data()["blocks-0-room"],
    )

    response = page_client(coordinator).post(reverse(CREATE), data)

    assert response.status_code == 400
    errors = response.context["form"].errors["weekly_starts"]
    assert errors == [
        "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris: "
        "clocks go forward from 02:00 to 03:00."
    ]
    assert Session.objects.count() == 0


def test_moving_a_block_into_the_gap_is_refused_and_leaves_it_in_place(
    page_client, coordinator, booked, room
):
    block = booked.blocks.get()
    url = reverse("scheduling:block-move", args=[booked.pk, block.pk])

    response = page_client(coordinator).post(
        url, {"date": "2030-03-31", "starts": "02:30", "ends": "04:00", "room": room.pk}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["starts"] == [
        "02:30 does not exist on Sun 31 Mar 2030 in Europe/Paris: "
        "clocks go forward from 02:00 to 03:00."
    ]
    block.refresh_from_db()
    assert block.starts_at == at("2030-03-04", "09:00")


def test_registration_opening_in_the_gap_is_refused_on_the_settings_form(
    page_client, coordinator, booked
):
    response = page_client(coordinator).post(
        reverse("scheduling:session-edit", args=[booked.pk]),
        {
            "capacity": "12",
            "min_attendees": "0",
            "registration_opens_at": "2030-03-31T02:30",
            "registration_closes_at": "",
            "notes": "",
        },
    )

    assert response.status_code == 400
    assert (
        "02:30 does not exist on Sun 31 Mar 2030"
        in (response.context["form"].errors["registration_opens_at"][0])
    )


def test_a_repeated_autumn_time_means_the_first_one_and_the_preview_says_so(
    page_client, coordinator, form_data
):
    room = _room_in("America/New_York")
    data = form_data(
        time_zone="America/New_York",
        **{
            "blocks-0-date": "2030-11-03",
            "blocks-0-starts": "01:30",
            "blocks-0-ends": "03:00",
            "blocks-0-room": room.pk,
        },
    )
    client = page_client(coordinator)

    preview = client.post(reverse(CHECK), data, headers={"HX-Request": "true"})
    assert (
        "01:30 on Sun 3 Nov 2030 happens twice in America/New_York (clocks go back from 02:00 "
        "to 01:00): this block starts at the first 01:30, EDT (UTC-04:00)."
    ) in preview.content.decode()

    saved = client.post(reverse(CREATE), data, follow=True)
    block = SessionBlock.objects.get()
    # The first 01:30 is still on summer time: 05:30 UTC, and the block lasts 2 h 30.
    assert block.starts_at == dt.datetime(2030, 11, 3, 5, 30, tzinfo=dt.UTC)
    assert block.ends_at - block.starts_at == dt.timedelta(hours=2, minutes=30)
    assert "happens twice in America/New_York" in saved.content.decode()


@pytest.mark.parametrize(
    ("zone", "day", "clock", "utc"),
    [
        ("Europe/Paris", "2030-10-27", "02:30", "2030-10-27T00:30"),
        ("Australia/Sydney", "2030-04-07", "02:30", "2030-04-06T15:30"),
        ("Australia/Lord_Howe", "2030-04-07", "01:45", "2030-04-06T14:45"),
    ],
)
def test_a_repeated_time_is_its_first_occurrence_in_every_zone(
    page_client, coordinator, form_data, zone, day, clock, utc
):
    room = _room_in(zone)
    data = form_data(
        time_zone=zone,
        **{
            "blocks-0-date": day,
            "blocks-0-starts": clock,
            "blocks-0-ends": "05:00",
            "blocks-0-room": room.pk,
        },
    )

    response = page_client(coordinator).post(reverse(CREATE), data)

    assert response.status_code == 302
    block = SessionBlock.objects.get()
    assert block.starts_at == dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert block.starts_at.astimezone(zoneinfo.ZoneInfo(zone)).fold == 0
