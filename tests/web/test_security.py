"""Sign-in (throttled by django-axes), sign-out, and the Content-Security-Policy: every page
sends it and none carries code the policy would block."""

from __future__ import annotations

import pytest
from django.conf import settings
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
