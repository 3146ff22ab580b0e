"""Every page checks the role in the view: allowed roles get the page, others 403, and
sessions a role may not see are 404."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, reverse

from scheduling.models import Session, SessionStatus
from tests import factories
from tms import web_urls

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "auditor", "instructor", "learner", "outsider"]


def _walk(patterns: list, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.callback))
    return found


def test_every_page_route_names_its_rule_in_the_policy_table():
    from tms.permissions import POLICY

    # Sign-in, sign-out, home, and one's own settings: every signed-in user, whatever the role.
    open_pages = {"", "accounts/login/", "accounts/logout/", "accounts/settings/"}
    # The set-password page an invitation links to: the token in the link is the permission.
    open_pages.add("accounts/set-password/<uidb64>/<token>/")
    for route, view in _walk(web_urls.urlpatterns):
        if route in open_pages:
            continue
        rule = getattr(view, "page_policy", None)
        assert rule is not None, f"page {route!r} has no policy rule"
        resource, action = rule
        assert action in POLICY[resource], f"page {route!r}: no rule for {resource}.{action}"


@pytest.fixture
def persona(coordinator, auditor, instructor, learner, outsider):  # type: ignore[no-untyped-def]
    return {
        "coordinator": coordinator,
        "auditor": auditor,
        "instructor": instructor.user,
        "learner": learner,
        "outsider": outsider,
    }


def _pages(session: Session) -> dict[str, str]:
    block = session.blocks.first()
    return {
        "home": reverse("home"),
        "list": reverse("scheduling:session-list"),
        "detail": reverse("scheduling:session-detail", args=[session.pk]),
        "create": reverse("scheduling:session-create"),
        "edit": reverse("scheduling:session-edit", args=[session.pk]),
        "block-move": reverse("scheduling:block-move", args=[session.pk, block.pk]),
        "block-add": reverse("scheduling:block-add", args=[session.pk]),
        "rooms": reverse("scheduling:room-availability"),
        "instructors": reverse("scheduling:instructor-availability"),
        "attendance": reverse("attendance:attendance-sheet", args=[session.pk]),
    }


# Expected status per page for a scheduled session the instructor teaches.
ALLOWED = {
    "home": set(PERSONAS),
    "list": {"coordinator", "auditor", "instructor", "learner"},
    "detail": {"coordinator", "auditor", "instructor", "learner"},
    "create": {"coordinator"},
    "edit": {"coordinator"},
    "block-move": {"coordinator"},
    "block-add": {"coordinator"},
    "rooms": {"coordinator", "auditor"},
    "instructors": {"coordinator", "auditor"},
    # Only the session's instructors and coordinators mark; auditors read.
    "attendance": {"coordinator", "auditor", "instructor"},
}


@pytest.mark.parametrize("who", PERSONAS)
def test_each_role_gets_exactly_the_pages_it_is_allowed(who, persona, page_client, booked):
    client = page_client(persona[who])
    for page, url in _pages(booked).items():
        response = client.get(url)
        expected = 200 if who in ALLOWED[page] else 403
        assert response.status_code == expected, (who, page, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in(page_client, booked):
    client = page_client(None)
    for url in _pages(booked).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_learners_and_other_instructors_never_see_a_draft(
    page_client, draft, learner, instructor, coordinator, auditor
):
    url = reverse("scheduling:session-detail", args=[draft.pk])
    assert page_client(learner).get(url).status_code == 404
    # `instructor` does not teach the draft (another instructor does).
    assert page_client(instructor.user).get(url).status_code == 404
    assert page_client(coordinator).get(url).status_code == 200
    assert page_client(auditor).get(url).status_code == 200
    teacher = draft.assignments.get().instructor.user
    assert page_client(teacher).get(url).status_code == 200


def test_learners_catalog_lists_only_published_sessions(page_client, learner, booked, draft):
    response = page_client(learner).get(reverse("scheduling:session-list"), {"date_from": ""})
    shown = [row.session.pk for row in response.context["rows"]]
    assert shown == [booked.pk]


@pytest.mark.parametrize("who", ["auditor", "instructor", "learner", "outsider"])
def test_only_coordinators_may_change_a_session(who, persona, page_client, booked):
    client = page_client(persona[who])
    block = booked.blocks.get()
    attempts = [
        (
            reverse("scheduling:session-transition", args=[booked.pk]),
            {"to_status": "cancelled", "reason": "x"},
        ),
        (reverse("scheduling:block-cancel", args=[booked.pk, block.pk]), {"reason": "x"}),
        (reverse("scheduling:block-restore", args=[booked.pk, block.pk]), {}),
        (reverse("scheduling:session-check"), {}),
        (reverse("scheduling:session-create"), {}),
        (
            reverse("scheduling:instructor-assign", args=[booked.pk]),
            {"instructor": factories.InstructorFactory().pk, "role": "co_facilitator"},
        ),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    booked.refresh_from_db()
    assert booked.status == SessionStatus.SCHEDULED
    assert booked.assignments.count() == 1


def test_home_page_shows_each_role_its_own_section(page_client, persona, booked, draft):
    coordinator_page = page_client(persona["coordinator"]).get(reverse("home"))
    assert [d["session"].pk for d in coordinator_page.context["drafts_needing_attention"]] == []
    assert "Upcoming sessions" in coordinator_page.content.decode()

    teaching = page_client(persona["instructor"]).get(reverse("home"))
    assert [i["session"].pk for i in teaching.context["my_assignments"]] == [booked.pk]
    assert "Lead instructor" in teaching.content.decode()

    catalog = page_client(persona["learner"]).get(reverse("home"))
    assert [row.session.pk for row in catalog.context["catalog"]] == [booked.pk]
    assert "drafts_needing_attention" not in catalog.context

    audit = page_client(persona["auditor"]).get(reverse("home"))
    counts = {c["status"]: c["count"] for c in audit.context["status_counts"]}
    assert counts["scheduled"] == 1
    assert counts["draft"] == 1

    nobody = page_client(persona["outsider"]).get(reverse("home"))
    assert "has no role yet" in nobody.content.decode()


def test_coordinator_home_flags_drafts_without_a_lead(page_client, coordinator, schedule):
    lonely = schedule(instructors=[])
    response = page_client(coordinator).get(reverse("home"))
    flagged = {d["session"].pk: d["gaps"] for d in response.context["drafts_needing_attention"]}
    assert flagged == {lonely.pk: ["lead"]}
