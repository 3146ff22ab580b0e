"""Sign-in (throttled by django-axes), sign-out, and the Content-Security-Policy: every page
sends it and none carries code the policy would block."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import PASSWORD
from tests.web.conftest import inline_code_in

pytestmark = pytest.mark.django_db


def test_sign_in_with_the_right_password_goes_home(client, coordinator):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "coordinator", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_rerenders_the_form_with_an_error(client, coordinator):
    response = client.post(reverse("login"), {"username": "coordinator", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(client, coordinator):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "coordinator", "password": PASSWORD})
    html = locked.content.decode()
    assert locked.status_code == 429
    assert "Sign-in paused" in html
    assert "Try again in 15 minutes" in html
    assert not inline_code_in(html)
    assert not locked.wsgi_request.user.is_authenticated


PROXY = "10.0.0.2"  # the reverse proxy every request arrives from
CLIENT_A, CLIENT_B = "203.0.113.5", "198.51.100.7"


def sign_in(client, password: str, *, peer: str = PROXY, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": "coordinator", "password": password}, **meta)


@override_settings(TRUSTED_PROXY_HEADER="X-Forwarded-For")
def test_behind_a_proxy_a_guesser_locks_out_only_their_own_address(coordinator):
    guesser, owner = Client(), Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The guesser writes a header of its own; the proxy appends the address it saw.
        sign_in(guesser, "wrong", forwarded=f"192.0.2.{attempt}, {CLIENT_A}")

    assert sign_in(owner, PASSWORD, forwarded=CLIENT_B).status_code == 302
    assert sign_in(guesser, PASSWORD, forwarded=f"192.0.2.99, {CLIENT_A}").status_code == 429


@override_settings(TRUSTED_PROXY_HEADER="X-Forwarded-For", TRUSTED_PROXY_COUNT=2)
def test_behind_two_proxies_the_address_the_outer_one_saw_counts(coordinator):
    guesser, owner = Client(), Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, "wrong", forwarded=f"192.0.2.{attempt}, {CLIENT_A}, 10.0.0.1")

    assert sign_in(owner, PASSWORD, forwarded=f"{CLIENT_B}, 10.0.0.1").status_code == 302
    assert sign_in(guesser, PASSWORD, forwarded=f"{CLIENT_A}, 10.0.0.1").status_code == 429


def test_without_a_configured_proxy_a_forwarded_for_header_is_ignored(coordinator):
    guesser = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, "wrong", peer=CLIENT_A, forwarded=f"192.0.2.{attempt}")

    locked = sign_in(guesser, PASSWORD, peer=CLIENT_A, forwarded="192.0.2.99")

    assert locked.status_code == 429


@pytest.mark.parametrize(
    ("forwarded", "seen"),
    [
        (None, PROXY),
        ("", PROXY),
        ("unknown", PROXY),
        (f"{CLIENT_A}:4711", PROXY),
        ("2001:db8::1", "2001:db8::1"),
        (f" {CLIENT_B} , {CLIENT_A} ", CLIENT_A),
    ],
)
def test_the_client_address_comes_from_the_proxy_header_only_when_it_holds_one(
    rf, settings, forwarded, seen
):
    from tms.client_address import client_ip

    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded

    assert client_ip(rf.get("/", **meta)) == seen


def test_sign_out_is_a_post(page_client, coordinator):
    client = page_client(coordinator)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_signed_in_users_skip_the_sign_in_page(page_client, learner):
    response = page_client(learner).get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def _pages(session, block):  # type: ignore[no-untyped-def]
    return [
        reverse("home"),
        reverse("scheduling:session-list"),
        reverse("scheduling:session-detail", args=[session.pk]),
        reverse("scheduling:session-create"),
        reverse("scheduling:session-edit", args=[session.pk]),
        reverse("scheduling:block-move", args=[session.pk, block.pk]),
        reverse("scheduling:block-add", args=[session.pk]),
        reverse("scheduling:room-availability"),
        reverse("scheduling:room-availability") + "?date=2030-03-04&starts=09:00&ends=10:00"
        "&time_zone=UTC&min_capacity=1",
        reverse("scheduling:instructor-availability"),
        "/sessions/999999/",  # 404 page
    ]


def test_every_page_sends_a_strict_csp_and_has_no_inline_code(page_client, coordinator, booked):
    client = page_client(coordinator)
    for url in _pages(booked, booked.blocks.get()):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert inline_code_in(response.content.decode()) == [], url


def test_pages_for_other_roles_and_anonymous_have_no_inline_code(
    page_client, learner, auditor, instructor, outsider, booked
):
    anonymous = page_client(None).get(reverse("login"))
    assert "Content-Security-Policy" in anonymous
    assert inline_code_in(anonymous.content.decode()) == []
    for user in (learner, auditor, instructor.user, outsider):
        client = page_client(user)
        for url in (reverse("home"), reverse("scheduling:session-list")):
            response = client.get(url)
            assert inline_code_in(response.content.decode()) == [], (user, url)
    forbidden = page_client(learner).get(reverse("scheduling:session-create"))
    assert forbidden.status_code == 403
    assert inline_code_in(forbidden.content.decode()) == []


def test_htmx_is_served_from_our_own_static_files(page_client, coordinator):
    html = page_client(coordinator).get(reverse("home")).content.decode()
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer' in html
    assert '<script src="/static/js/app.js" defer' in html
    # htmx must not add its own <style> (CSP) and sends the CSRF token from <body>.
    assert '"includeIndicatorStyles": false' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_the_inline_code_checker_catches_what_the_csp_blocks():
    assert inline_code_in("<script>alert(1)</script>") == [
        "inline <script>",
        "code inside a <script src> element",
    ]
    assert inline_code_in('<p style="color:red" onclick="x()">') == [
        "style= attribute on <p>",
        "inline handler onclick= on <p>",
    ]
    assert inline_code_in('<script src="/static/x.js"></script><a href="/">ok</a>') == []
