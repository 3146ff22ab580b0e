"""Every signed-in user sets the time zone their emails, reminders, invites and pages use."""

from __future__ import annotations

import zoneinfo

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tests import factories
from tms.models import Profile
from tms.timezones import reader_zone
from tms.views import viewer_zone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["learner", "coordinator", "outsider"])
def test_a_user_saves_their_time_zone_and_sees_it_again(who, request, page_client):
    user = request.getfixturevalue(who)
    client = page_client(user)

    response = client.post(reverse("settings"), {"time_zone": "America/Chicago"})

    assert response.status_code == 302
    assert response["Location"] == reverse("settings")
    assert Profile.objects.get(user=user).time_zone == "America/Chicago"
    page = client.get(reverse("settings")).content.decode()
    assert '<option value="America/Chicago" selected>' in page
    assert "Your settings are saved." in page


def test_an_unknown_zone_is_a_form_error_and_saves_nothing(page_client, learner):
    response = page_client(learner).post(reverse("settings"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Profile.objects.filter(user=learner).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("settings"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_chosen_zone_wins_over_the_instructor_home_zone_and_the_browser(rf: RequestFactory):
    person = factories.InstructorFactory(home_time_zone="Europe/Paris")
    http = rf.get("/", HTTP_COOKIE="tz=Asia/Tokyo")
    http.user = person.user
    assert viewer_zone(http) == zoneinfo.ZoneInfo("Europe/Paris")
    assert reader_zone(person.user, "UTC") == "Europe/Paris"

    Profile.objects.create(user=person.user, time_zone="America/Chicago")
    person.user.refresh_from_db()
    http.user = person.user

    assert viewer_zone(http) == zoneinfo.ZoneInfo("America/Chicago")
    assert reader_zone(person.user, "UTC") == "America/Chicago"


def test_the_signed_in_user_comes_with_settings_and_instructor_profile_in_one_query(
    django_assert_num_queries,
):
    from tms.backends import UserWithProfilesBackend

    person = factories.InstructorFactory(home_time_zone="Europe/Paris")
    Profile.objects.create(user=person.user, time_zone="America/Chicago")

    with django_assert_num_queries(1):
        user = UserWithProfilesBackend().get_user(person.user.pk)
        assert user.profile.time_zone == "America/Chicago"
        assert user.instructor_profile.pk == person.pk
    person.user.is_active = False
    person.user.save()
    assert UserWithProfilesBackend().get_user(person.user.pk) is None
    assert UserWithProfilesBackend().get_user(987654) is None
