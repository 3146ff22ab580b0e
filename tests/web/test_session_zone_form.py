"""The session form's time zone follows the chosen room's site; a zone other than the room's
is allowed but warned about, in the preview and on the saved session's page."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from scheduling.models import Session
from tests import factories

pytestmark = pytest.mark.django_db

CREATE = "scheduling:session-create"
CHECK = "scheduling:session-check"


@pytest.fixture
def new_york_room(db):  # type: ignore[no-untyped-def]
    office = factories.SiteFactory(name="New York office", time_zone="America/New_York")
    return factories.RoomFactory(name="Hudson", site=office)


def test_left_at_its_default_the_zone_is_the_rooms_sites(
    page_client, coordinator, form_data, new_york_room
):
    # Most sites are in Paris: the old default was their zone, whatever room was chosen.
    factories.SiteFactory.create_batch(2, time_zone="Europe/Paris")
    client = page_client(coordinator)
    initial = client.get(reverse(CREATE)).context["form"]["time_zone"].value()
    data = form_data(time_zone=initial, **{"blocks-0-room": new_york_room.pk})

    response = client.post(reverse(CREATE), data)

    assert response.status_code == 302
    session = Session.objects.get()
    assert session.time_zone == "America/New_York"
    # 09:00 typed for a New York room is 09:00 in New York.
    assert session.blocks.get().starts_at == dt.datetime(2030, 3, 4, 14, 0, tzinfo=dt.UTC)


def test_the_preview_names_the_zone_the_times_are_read_in(
    page_client, coordinator, form_data, new_york_room
):
    data = form_data(time_zone="", **{"blocks-0-room": new_york_room.pk})

    response = page_client(coordinator).post(reverse(CHECK), data, headers={"HX-Request": "true"})

    assert "Times are read in America/New_York, the zone of New York office." in (
        response.content.decode()
    )


def test_a_zone_other_than_the_rooms_is_warned_about_before_and_after_saving(
    page_client, coordinator, form_data, room
):
    data = form_data(time_zone="America/New_York")
    client = page_client(coordinator)
    expected = (
        f"The session's times are in America/New_York, but {room.site.name} (room {room.name}) "
        "is in Europe/Paris."
    )

    preview = client.post(reverse(CHECK), data, headers={"HX-Request": "true"})
    assert expected in unescape(preview.content.decode())

    saved = client.post(reverse(CREATE), data, follow=True)
    assert saved.status_code == 200
    assert Session.objects.get().time_zone == "America/New_York"
    html = unescape(saved.content.decode())
    assert html.count(expected) == 1  # on the page, not repeated as a one-off message

    # Still there on the next visit: the page shows it whenever the zones differ.
    again = client.get(reverse("scheduling:session-detail", args=[Session.objects.get().pk]))
    assert expected in unescape(again.content.decode())


def test_a_session_in_its_rooms_zone_has_no_zone_warning(page_client, coordinator, form_data):
    client = page_client(coordinator)
    saved = client.post(reverse(CREATE), form_data(), follow=True)
    assert "The session's times are in" not in unescape(saved.content.decode())


def test_a_video_call_keeps_the_usual_default_zone(page_client, coordinator, form_data):
    account = factories.HostAccountFactory()
    data = form_data(
        time_zone="",
        delivery_mode="vilt",
        host_account=account.pk,
        **{"blocks-0-room": ""},
    )

    response = page_client(coordinator).post(reverse(CREATE), data)

    assert response.status_code == 302
    # The fixture room's site (Paris) is the most common zone.
    assert Session.objects.get().time_zone == "Europe/Paris"


def test_a_video_call_uses_the_coordinators_own_zone_when_they_chose_one(
    page_client, coordinator, form_data
):
    from tms.models import Profile

    Profile.objects.create(user=coordinator, time_zone="Asia/Tokyo")
    account = factories.HostAccountFactory()
    data = form_data(
        time_zone="", delivery_mode="vilt", host_account=account.pk, **{"blocks-0-room": ""}
    )

    page_client(coordinator).post(reverse(CREATE), data)

    assert Session.objects.get().time_zone == "Asia/Tokyo"
