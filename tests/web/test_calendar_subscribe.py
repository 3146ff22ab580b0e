"""The webcal:// link on the calendar pages: an instructor subscribes from "My calendar" and is
brought back there with the feed's address shown once (only its hash is kept); the address
works, and the next visit shows only that a subscription exists. Coordinators' calendars link to
the room and site subscriptions."""

from __future__ import annotations

import re

from django.urls import reverse

from scheduling.models import FeedToken


def _links(html: str) -> list[str]:
    return re.findall(r'href="(webcal://[^"]+)"', html)


def test_an_instructor_subscribes_from_my_calendar_and_sees_the_webcal_link_once(
    page_client, instructor, schedule
):
    schedule(status="scheduled")
    client = page_client(instructor.user)
    mine = reverse("calendar:mine") + "?view=week&date=2030-03-04"

    before = client.get(mine).content.decode()
    assert "Get a subscription link" in before
    assert _links(before) == []

    answer = client.post(
        reverse("feeds:issue"), {"kind": "instructor", "owner": instructor.pk, "next": mine}
    )
    assert answer.status_code == 302
    assert answer["Location"] == mine
    shown = client.get(mine).content.decode()
    (webcal,) = _links(shown)
    token = FeedToken.objects.get(instructor=instructor, revoked_at__isnull=True)
    assert webcal.endswith(".ics")
    assert "/feeds/" in webcal
    feed = client.get(webcal[webcal.index("/feeds/") :])
    assert feed.status_code == 200
    assert b"SAFE-101" in feed.content

    again = client.get(mine).content.decode()
    assert _links(again) == []
    assert token.hint in again  # "Subscribed with the link starting …"


def test_issuing_never_redirects_off_site(page_client, instructor):
    answer = page_client(instructor.user).post(
        reverse("feeds:issue"),
        {"kind": "instructor", "owner": instructor.pk, "next": "https://evil.example/"},
        follow=True,
    )
    # The subscriptions page, with the link shown there.
    assert answer.redirect_chain == [(reverse("feeds:subscriptions"), 302)]
    assert len(_links(answer.content.decode())) == 1


def test_the_coordinators_calendars_link_to_room_and_site_subscriptions(page_client, coordinator):
    client = page_client(coordinator)
    subscriptions = reverse("feeds:subscriptions")
    for page in (reverse("calendar:schedule"), reverse("scheduling:resource-calendar")):
        assert f'href="{subscriptions}"' in client.get(page).content.decode(), page


def test_a_learner_subscribes_from_my_training(page_client, learner):
    client = page_client(learner)
    page = reverse("attendance:my-training")

    answer = client.post(
        reverse("feeds:issue"), {"kind": "learner", "owner": learner.pk, "next": page}
    )

    assert answer["Location"] == page
    (webcal,) = _links(client.get(page).content.decode())
    assert client.get(webcal[webcal.index("/feeds/") :]).status_code == 200
    assert _links(client.get(page).content.decode()) == []
