"""The "Calendar subscriptions" page: owners get a link (shown once, https and webcal://),
regenerate and revoke it; coordinators manage room and site feeds and revoke any; nobody
touches another person's feed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import FeedKind, FeedToken
from tests import factories

pytestmark = pytest.mark.django_db
PAGE = "/calendar-feeds/"


def signed_in(user, **kwargs) -> Client:  # type: ignore[no-untyped-def]
    client = Client(**kwargs)
    client.force_login(user)
    return client


def feed_url(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'value="(https?://[^"]+/feeds/[^"]+\.ics)"', response.content.decode())
    assert match, "no feed URL on the page"
    return match.group(1)


def test_a_learner_gets_a_link_once_and_it_opens_their_feed(learner):
    client = signed_in(learner)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Get a subscription link" in page.content.decode()
    issued = client.post(
        reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": learner.pk}, follow=True
    )
    # Post/redirect/get: reloading the page that shows the link issues no other one.
    assert issued.redirect_chain == [(PAGE, 302)]
    url = feed_url(issued)
    assert "webcal://" + url.split("://", 1)[1] in issued.content.decode()
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path).status_code == 200
    again = client.get(PAGE).content.decode()
    assert path not in again  # shown only once: only its hash is kept
    assert FeedToken.objects.filter(revoked_at__isnull=True).count() == 1
    assert "Regenerate link" in again


def test_regenerate_and_revoke_from_the_page(instructor):
    client = signed_in(instructor.user)
    first = feed_url(
        client.post(
            reverse("feeds:issue"),
            {"kind": FeedKind.INSTRUCTOR, "owner": instructor.pk},
            follow=True,
        )
    )
    second = feed_url(
        client.post(
            reverse("feeds:issue"),
            {"kind": FeedKind.INSTRUCTOR, "owner": instructor.pk},
            follow=True,
        )
    )
    path = lambda url: "/" + url.split("://", 1)[1].split("/", 1)[1]  # noqa: E731
    assert Client().get(path(first)).status_code == 404
    assert Client().get(path(second)).status_code == 200
    token = FeedToken.objects.get(revoked_at__isnull=True)
    response = client.post(reverse("feeds:revoke", args=[token.pk]))
    assert response.status_code == 302
    assert Client().get(path(second)).status_code == 404


def test_nobody_issues_or_revokes_another_persons_feed(learners, instructor):
    me, other = learners(2)
    client = signed_in(me)
    refused = client.post(reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": other.pk})
    assert refused.status_code == 403
    refused = client.post(
        reverse("feeds:issue"), {"kind": FeedKind.INSTRUCTOR, "owner": instructor.pk}
    )
    assert refused.status_code == 403
    signed_in(other).post(reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": other.pk})
    token = FeedToken.objects.get()
    assert client.post(reverse("feeds:revoke", args=[token.pk])).status_code == 404
    assert FeedToken.objects.get().revoked_at is None
    assert token.hint not in client.get(PAGE).content.decode()


def test_bad_input_is_a_400_and_writes_nothing(learner, coordinator):
    client = signed_in(learner)
    assert client.post(reverse("feeds:issue"), {"kind": "bogus", "owner": "x"}).status_code == 400
    assert client.post(reverse("feeds:issue"), {}).status_code == 400
    coordinating = signed_in(coordinator)
    bad = coordinating.post(reverse("feeds:issue-resource"), {"resource": "room:999999"})
    assert bad.status_code == 400
    assert not FeedToken.objects.exists()


def test_a_coordinator_gets_room_and_site_feeds_and_sees_and_revokes_any(
    coordinator, learner, room
):
    signed_in(learner).post(reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": learner.pk})
    client = signed_in(coordinator)
    page = client.get(PAGE).content.decode()
    assert f'value="room:{room.pk}"' in page
    assert f'value="site:{room.site.pk}"' in page
    issued = client.post(
        reverse("feeds:issue-resource"), {"resource": f"room:{room.pk}"}, follow=True
    )
    assert issued.status_code == 200
    assert Client().get("/" + feed_url(issued).split("/", 3)[3]).status_code == 200
    learner_token = FeedToken.objects.get(kind=FeedKind.LEARNER)
    assert learner_token.hint in client.get(PAGE).content.decode()
    client.post(reverse("feeds:revoke", args=[learner_token.pk]))
    learner_token.refresh_from_db()
    assert learner_token.revoked_at is not None


def test_the_forms_need_the_csrf_token(learner):
    client = signed_in(learner, enforce_csrf_checks=True)
    response = client.post(reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": learner.pk})
    assert response.status_code == 403
    assert not FeedToken.objects.exists()


def test_people_without_a_role_are_refused(outsider):
    assert signed_in(outsider).get(PAGE).status_code == 403
    response = signed_in(outsider).post(reverse("feeds:issue"), {"kind": "learner", "owner": 1})
    assert response.status_code == 403


def test_an_auditor_sees_which_subscriptions_exist_and_changes_none(auditor, learner):
    signed_in(learner).post(reverse("feeds:issue"), {"kind": FeedKind.LEARNER, "owner": learner.pk})
    token = FeedToken.objects.get()
    client = signed_in(auditor)
    page = client.get(PAGE).content.decode()
    assert token.hint in page
    assert "/revoke/" not in page
    assert client.post(reverse("feeds:revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_page_costs_a_constant_number_of_queries(
    coordinator, django_assert_num_queries, learners
):
    client = signed_in(coordinator)
    client.get(PAGE)  # the session warmed up
    with django_assert_num_queries(7):
        client.get(PAGE)
    for person in learners(3):
        signed_in(person).post(reverse("feeds:issue"), {"kind": "learner", "owner": person.pk})
    rooms = [factories.RoomFactory() for _ in range(3)]
    for room in rooms:
        client.post(reverse("feeds:issue-resource"), {"resource": f"room:{room.pk}"})
    client.get(PAGE)  # shows the last new link, once
    with django_assert_num_queries(7):
        page = client.get(PAGE)
    assert page.content.decode().count('/revoke/"') == 6
