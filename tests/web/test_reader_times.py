"""Pages show times in the reader's zone (settings, then an instructor's home zone, then the
browser's), named, with the venue's time beside them where it differs: My training, the
catalog, the session list and the session page."""

from __future__ import annotations

import zoneinfo

import pytest
from django.urls import reverse
from django.utils import dateformat

from attendance.models import Registration, RegistrationStatus
from attendance.services.promotion import waitlist_promote
from attendance.services.registration import registration_create
from scheduling.models import WaitlistPolicy
from tests import factories
from tests.conftest import NOW, at
from tms.models import Profile

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"
# The `booked` session: Mon 4 Mar 2030, 09:00-12:00 in Paris (CET), 03:00-06:00 in New York.
NEW_YORK_TIMES = f'Mon 4 Mar 2030</time>, <span class="nowrap">03:00{DASH}06:00 EST</span>'
VENUE_TIMES = f"(09:00{DASH}12:00 CET at the venue)"


@pytest.fixture
def new_yorker(learner):  # type: ignore[no-untyped-def]
    """A learner whose settings say America/New_York."""
    Profile.objects.create(user=learner, time_zone="America/New_York")
    return learner


def test_my_training_shows_the_readers_time_and_the_venues(page_client, new_yorker, booked):
    registration_create(session_id=booked.pk, learner=new_yorker, now=NOW)

    html = page_client(new_yorker).get(reverse("attendance:my-training")).content.decode()

    assert NEW_YORK_TIMES in html
    assert VENUE_TIMES in html
    assert "Times are in your time zone, America/New_York" in html


def test_the_catalog_shows_the_readers_time_and_the_venues(page_client, new_yorker, booked):
    response = page_client(new_yorker).get(reverse("attendance:catalog"))

    html = response.content.decode()
    assert NEW_YORK_TIMES in html
    assert VENUE_TIMES in html


def test_the_session_list_and_page_show_the_readers_time_first(page_client, new_yorker, booked):
    client = page_client(new_yorker)

    listed = client.get(reverse("scheduling:session-list") + "?date_from=").content.decode()
    detail = client.get(reverse("scheduling:session-detail", args=[booked.pk])).content.decode()

    for html in (listed, detail):
        assert NEW_YORK_TIMES in html
        assert VENUE_TIMES in html


def test_a_reader_in_the_venues_zone_sees_one_time(page_client, learner, booked):
    Profile.objects.create(user=learner, time_zone="Europe/Paris")

    html = page_client(learner).get(reverse("attendance:catalog")).content.decode()

    assert f"09:00{DASH}12:00 CET" in html
    assert "at the venue" not in html


def test_a_zone_with_the_venues_clock_shows_one_time_named_in_the_readers_zone(
    page_client, learner, booked
):
    Profile.objects.create(user=learner, time_zone="Europe/Berlin")

    html = page_client(learner).get(reverse("attendance:catalog")).content.decode()

    assert f"09:00{DASH}12:00 CET" in html
    assert "at the venue" not in html


def test_the_settings_zone_wins_over_the_browsers(page_client, new_yorker, booked):
    client = page_client(new_yorker)
    client.cookies["tz"] = "Asia/Tokyo"

    html = client.get(reverse("attendance:catalog")).content.decode()

    assert NEW_YORK_TIMES in html


def test_without_settings_the_browsers_zone_is_used(page_client, learner, booked):
    client = page_client(learner)
    client.cookies["tz"] = "America/New_York"

    html = client.get(reverse("attendance:catalog")).content.decode()

    assert NEW_YORK_TIMES in html
    assert VENUE_TIMES in html


def test_an_instructor_reads_in_their_home_zone(page_client, booked, instructor):
    instructor.home_time_zone = "America/New_York"
    instructor.save()

    html = (
        page_client(instructor.user)
        .get(reverse("scheduling:session-detail", args=[booked.pk]))
        .content.decode()
    )

    assert NEW_YORK_TIMES in html
    assert VENUE_TIMES in html


def test_a_reader_on_another_day_sees_the_venues_date_too(page_client, learner, schedule):
    Profile.objects.create(user=learner, time_zone="Australia/Sydney")
    # 20:00-22:00 in Paris on Monday is 06:00-08:00 on Tuesday in Sydney.
    schedule([(at("2030-03-04", "20:00"), at("2030-03-04", "22:00"))], status="scheduled")

    html = page_client(learner).get(reverse("attendance:catalog")).content.decode()

    assert f'Tue 5 Mar 2030</time>, <span class="nowrap">06:00{DASH}08:00 AEDT</span>' in html
    assert f"(Mon 4 Mar, 20:00{DASH}22:00 CET at the venue)" in html


def test_the_offer_deadline_is_in_the_readers_zone(page_client, new_yorker, learners, schedule):
    session = schedule(status="scheduled", capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.save()
    first = registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    mine = registration_create(session_id=session.pk, learner=new_yorker, now=NOW).row()
    Registration.objects.filter(pk=first.registration_id).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=NOW
    )
    waitlist_promote(session_id=session.pk)
    mine.refresh_from_db()
    deadline = mine.offer_expires_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))

    html = page_client(new_yorker).get(reverse("attendance:my-training")).content.decode()

    expected = dateformat.format(deadline, "D j M Y, H:i T")
    assert expected.endswith(("EST", "EDT"))
    assert f"Held for you until <strong>{expected}</strong>" in html


def test_the_block_list_of_a_session_with_several_rooms_names_each_blocks_times(
    page_client, new_yorker, schedule
):
    session = schedule(
        [
            (at("2030-03-04", "09:00"), at("2030-03-04", "12:00")),
            (at("2030-03-05", "14:00"), at("2030-03-05", "17:00")),
        ],
        status="scheduled",
        rooms=[factories.RoomFactory(), factories.RoomFactory()],
    )

    html = (
        page_client(new_yorker)
        .get(reverse("scheduling:session-detail", args=[session.pk]))
        .content.decode()
    )

    assert f'Tue 5 Mar 2030</time>, <span class="nowrap">08:00{DASH}11:00 EST</span>' in html
    assert f"(14:00{DASH}17:00 CET at the venue)" in html


def test_the_session_pages_own_panel_names_the_readers_time(
    page_client, new_yorker, learners, schedule
):
    """The "Your place" panel on the session page: the offer deadline and the opening of
    registration in the reader's zone, not the venue's."""
    session = schedule(status="scheduled", capacity=1)
    session.waitlist_policy = WaitlistPolicy.OFFER
    session.registration_opens_at = None
    session.save()
    first = registration_create(session_id=session.pk, learner=learners(1)[0], now=NOW)
    mine = registration_create(session_id=session.pk, learner=new_yorker, now=NOW).row()
    Registration.objects.filter(pk=first.registration_id).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=NOW
    )
    waitlist_promote(session_id=session.pk)
    mine.refresh_from_db()
    deadline = mine.offer_expires_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))

    url = reverse("scheduling:session-detail", args=[session.pk])
    html = page_client(new_yorker).get(url).content.decode()

    assert f"It is held until {dateformat.format(deadline, 'D j M Y, H:i T')}." in html
