"""Real Chromium on the compliance pages: the matrix (a coloured grid whose statuses are also
words) and "My certificates" are axe-clean at 1280 px and 375 px, where a wide grid scrolls
inside its labelled region and the page itself never scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from attendance.services.outcomes import completion_record
from attendance.services.registration import registration_create
from compliance.models import AudienceKind, Certification
from compliance.services.certifications import (
    certifications_issue_for_completion,
    requirement_create,
)
from tests import factories
from tests.conftest import NOW, at
from tests.web.test_browser import _assert_accessible, _open, _sign_in, browser  # noqa: F401
from tms.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def matrix(schedule: Any, course: Any, learner: Any, coordinator: Any) -> None:
    fire = Certification.objects.create(code="FIRE-1", name="Fire warden", valid_months=12)
    fire.courses.add(course)
    extras = [
        Certification.objects.create(code=f"CERT-{n}", name=f"Certification {n}") for n in range(6)
    ]
    session = schedule([(at("2030-03-04", "09:00"), at("2030-03-04", "12:00"))], status="scheduled")
    people = [learner] + [factories.UserFactory(role=Role.LEARNER) for _ in range(3)]
    for person in people[:2]:
        registered = registration_create(session_id=session.pk, learner=person, now=NOW)
        completion = completion_record(
            registration_id=registered.registration_id,
            status="completed",
            recorded_by=None,
            now=at("2030-03-04", "13:00"),
        )
        certifications_issue_for_completion(completion=completion, now=NOW)
    requirement_create(
        name="Everyone on site",
        certifications=[fire, *extras],
        audience=AudienceKind.ROLE,
        group=Group.objects.get_or_create(name=Role.LEARNER)[0],
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_compliance_pages_are_accessible_and_fit_a_phone(
    browser: Any,  # noqa: F811
    live_server: Any,
    matrix: None,
    width: int,
) -> None:
    base = live_server.url
    for username, paths in (
        (
            "coordinator",
            ["/compliance/matrix/", "/manage/certifications/", "/manage/requirements/new/"],
        ),
        ("learner", ["/my/certificates/"]),
    ):
        context, page, watch = _open(browser, width=width)
        _sign_in(page, base, username)
        for path in paths:
            page.goto(base + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            _assert_accessible(page, f"{path} at {width}px")
        if username == "coordinator" and width == 375:
            page.goto(base + "/compliance/matrix/")
            region = page.get_by_role("region", name="Compliance grid: Everyone on site")
            assert region.evaluate("el => el.scrollWidth > el.clientWidth")
            assert page.get_by_text("Never done").first.is_visible()
        assert watch.problems == []
        context.close()
