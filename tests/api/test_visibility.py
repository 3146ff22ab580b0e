"""Object-level access: what each role sees of sessions, courses and instructor profiles."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests import factories

pytestmark = pytest.mark.django_db

SESSIONS = reverse("api:scheduling:session-list")


def session_url(session) -> str:  # type: ignore[no-untyped-def]
    return reverse("api:scheduling:session-detail", kwargs={"pk": session.pk})


def listed_ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_coordinators_and_auditors_see_every_session(as_user, coordinator, auditor, world):
    everything = {s.pk for s in world.values()}
    assert listed_ids(as_user(coordinator).get(SESSIONS)) == everything
    assert listed_ids(as_user(auditor).get(SESSIONS)) == everything


def test_instructors_see_the_sessions_they_teach_and_the_published_ones(as_user, instructor, world):
    api = as_user(instructor.user)

    assert listed_ids(api.get(SESSIONS)) == {
        world["mine_published"].pk,
        world["mine_draft"].pk,
        world["theirs_published"].pk,
    }
    assert api.get(session_url(world["mine_draft"])).status_code == 200
    assert api.get(session_url(world["theirs_draft"])).status_code == 404


def test_learners_see_the_published_catalog_and_drafts_are_not_found(as_user, learner, world):
    api = as_user(learner)

    assert listed_ids(api.get(SESSIONS)) == {
        world["mine_published"].pk,
        world["theirs_published"].pk,
    }
    response = api.get(session_url(world["mine_draft"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_sessions_of_an_inactive_course_leave_the_catalog(as_user, learner, world, course):
    course.active = False
    course.save()

    assert listed_ids(as_user(learner).get(SESSIONS)) == set()
    assert as_user(learner).get(session_url(world["mine_published"])).status_code == 404


def test_the_join_link_is_shown_to_staff_and_the_sessions_instructors_only(
    as_user, coordinator, learner, instructor, other_instructor, schedule
):
    account = factories.HostAccountFactory()
    session = schedule(mode="vilt", host_account=account, status="scheduled")
    url = session_url(session)

    assert as_user(coordinator).get(url).json()["join_url"] == session.join_url != ""
    assert as_user(instructor.user).get(url).json()["join_url"] == session.join_url
    assert as_user(other_instructor.user).get(url).json()["join_url"] == ""
    assert as_user(learner).get(url).json()["join_url"] == ""


def test_learners_do_not_see_inactive_courses(as_user, learner, coordinator, course):
    retired = factories.CourseFactory(active=False)
    url = reverse("api:scheduling:course-list")

    assert listed_ids(as_user(learner).get(url)) == {course.pk}
    assert listed_ids(as_user(coordinator).get(url)) == {course.pk, retired.pk}
    retired_url = reverse("api:scheduling:course-detail", kwargs={"pk": retired.pk})
    assert as_user(learner).get(retired_url).status_code == 404


def test_an_instructor_reads_their_own_profile_only(as_user, instructor, other_instructor):
    api = as_user(instructor.user)

    assert listed_ids(api.get(reverse("api:instructors:instructor-list"))) == {instructor.pk}
    own = reverse("api:instructors:instructor-detail", kwargs={"pk": instructor.pk})
    theirs = reverse("api:instructors:instructor-detail", kwargs={"pk": other_instructor.pk})
    assert api.get(own).status_code == 200
    assert api.get(theirs).status_code == 404


def test_an_instructor_reads_their_own_unavailability_but_not_a_colleagues(
    as_user, instructor, other_instructor
):
    factories.UnavailabilityFactory(instructor=instructor)
    factories.UnavailabilityFactory(instructor=other_instructor)
    api = as_user(instructor.user)

    def url(person) -> str:  # type: ignore[no-untyped-def]
        return reverse("api:instructors:unavailability-list", kwargs={"instructor_pk": person.pk})

    own = api.get(url(instructor))
    assert own.status_code == 200
    assert own.json()["count"] == 1
    assert api.get(url(other_instructor)).status_code == 404


def test_an_instructor_lists_only_their_own_assignments(as_user, instructor, world):
    response = as_user(instructor.user).get(reverse("api:scheduling:assignment-list"))

    assert {row["session"]["id"] for row in response.json()["results"]} == {
        world["mine_published"].pk,
        world["mine_draft"].pk,
    }


def test_auditors_cannot_change_anything(as_user, auditor, world, room, instructor):
    api = as_user(auditor)
    session = world["mine_draft"]
    refused = [
        api.patch(session_url(session), {"capacity": 3}, format="json"),
        api.post(
            reverse("api:scheduling:session-transition", kwargs={"pk": session.pk}),
            {"status": "scheduled"},
            format="json",
        ),
        api.delete(reverse("api:venues:room-detail", kwargs={"pk": room.pk})),
        api.patch(
            reverse("api:instructors:instructor-detail", kwargs={"pk": instructor.pk}),
            {"active": False},
            format="json",
        ),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    session.refresh_from_db()
    assert session.capacity == 12
    assert session.status == "draft"


def test_instructors_may_not_change_schedules_even_their_own(as_user, instructor, world):
    session = world["mine_draft"]
    response = as_user(instructor.user).post(
        reverse("api:scheduling:session-transition", kwargs={"pk": session.pk}),
        {"status": "scheduled"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_visitors_are_refused_and_token_sign_in_works(api_client, coordinator, world):
    assert api_client.get(SESSIONS).status_code == 403
    token = Token.objects.create(user=coordinator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get(SESSIONS).json()["count"] == len(world)
