"""Fixtures for the browser pages: signed-in test clients, form data and an HTML checker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client, override_settings

from scheduling.models import Session
from tests import factories
from tests.conftest import at

MODEL_BACKEND = "tms.backends.UserWithProfilesBackend"


@pytest.fixture(scope="session", autouse=True)
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """WhiteNoise warns (an error here) when STATIC_ROOT, filled by collectstatic, is missing.
    Point it at an empty folder for these tests; static files come from the finders
    (`live_server` serves them with StaticFilesHandler)."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("staticfiles")):
        yield


@pytest.fixture
def page_client(client: Client) -> Callable[[Any], Client]:
    """A test client signed in as `user` (None: anonymous)."""

    def signed_in(user: Any) -> Client:
        client.logout()
        if user is not None:
            # axes' backend only authenticates; the model backend loads the user per request.
            client.force_login(user, backend=MODEL_BACKEND)
        return client

    return signed_in


@pytest.fixture
def booked(schedule) -> Session:  # type: ignore[no-untyped-def]
    """A scheduled session holding `room` and `instructor` on 2030-03-04 09:00-12:00 Paris."""
    return schedule(status="scheduled")


@pytest.fixture
def draft(schedule) -> Session:  # type: ignore[no-untyped-def]
    """A draft session on another day, taught by a second instructor."""
    return schedule(
        [(at("2030-03-06", "09:00"), at("2030-03-06", "12:00"))],
        instructors=[factories.InstructorFactory(user__username="other-instructor")],
    )


@pytest.fixture
def form_data(course, room, instructor) -> Callable[..., dict[str, Any]]:  # type: ignore[no-untyped-def]
    """POST data of the session form: one ILT block on 2030-03-04 09:00-12:00 Paris time in
    `room` with `instructor` leading; keyword arguments override fields."""
    factories.QualificationFactory(instructor=instructor, course=course)

    def make(**overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "course": course.pk,
            "delivery_mode": "ilt",
            "capacity": "12",
            "min_attendees": "0",
            "time_zone": "Europe/Paris",
            "schedule": "dates",
            "blocks-TOTAL_FORMS": "1",
            "blocks-INITIAL_FORMS": "0",
            "blocks-MIN_NUM_FORMS": "0",
            "blocks-MAX_NUM_FORMS": "60",
            "blocks-0-date": "2030-03-04",
            "blocks-0-starts": "09:00",
            "blocks-0-ends": "12:00",
            "blocks-0-room": room.pk,
            "weekly_occurrences": "6",
            "lead": instructor.pk,
            "notes": "",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return make


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP (no 'unsafe-inline', no eval) would block or what breaks it."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script":
            if "src" not in names:
                self.problems.append("inline <script>")
            self._in_script = True
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style= attribute on <{tag}>")
        for name in names:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"inline handler {name}= on <{tag}>")
        if tag == "a" and any(v and v.strip().lower().startswith("javascript:") for _n, v in attrs):
            self.problems.append("javascript: URL")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("code inside a <script src> element")


def inline_code_in(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems
