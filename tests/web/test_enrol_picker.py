"""Enrolling one learner from the roster: picked by name or email (htmx suggestions from a
small endpoint, or the plain form), and someone who does not hold the learner role is refused,
on the page, in bulk and through the API, with nothing written."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from attendance.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db

SUGGEST = reverse("manage:learner-suggest")


def _messages(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def people(db):  # type: ignore[no-untyped-def]
    return {
        "ada": factories.UserFactory(
            first_name="Ada", last_name="Lovelace", email="ada@x.org", role="Learner"
        ),
        "adam": factories.UserFactory(
            first_name="Adam", last_name="Smith", email="adam@x.org", role="Learner"
        ),
        "grace": factories.UserFactory(
            first_name="Grace", last_name="Hopper", email="grace@x.org", role="Learner"
        ),
        "teacher": factories.UserFactory(
            first_name="Ada", last_name="Teacher", email="teach@x.org", role="Instructor"
        ),
    }


def enrol(client, session, **data):  # type: ignore[no-untyped-def]
    return client.post(reverse("attendance:registration-enrol", args=[session.pk]), data)


def test_the_roster_form_asks_for_suggestions_as_the_coordinator_types(
    page_client, coordinator, booked
):
    html = page_client(coordinator).get(reverse("attendance:roster", args=[booked.pk]))
    text = html.content.decode()

    assert f'hx-get="{SUGGEST}"' in text
    assert 'hx-target="#enrol-suggestions"' in text
    assert "Learner&#x27;s name or email" in text or "Learner's name or email" in text


def test_suggestions_are_active_learners_matching_the_name_or_email(
    page_client, coordinator, people
):
    people["grace"].is_active = False
    people["grace"].save()
    client = page_client(coordinator)

    by_name = client.get(SUGGEST, {"email": "ada"}).content.decode()
    assert "ada@x.org" in by_name
    assert "adam@x.org" in by_name
    assert "teach@x.org" not in by_name  # an instructor is not a learner
    assert f'value="{people["ada"].pk}"' in by_name  # a radio choice inside the enrol form
    by_email = client.get(SUGGEST, {"email": "GRACE@"}).content.decode()
    assert "grace@x.org" not in by_email  # deactivated
    assert "No active learner matches" in by_email
    assert client.get(SUGGEST, {"email": ""}).content.decode().strip() == ""


def test_only_coordinators_get_suggestions(page_client, auditor, learner, instructor):
    for user in (auditor, learner, instructor.user):
        assert page_client(user).get(SUGGEST, {"email": "a"}).status_code == 403


def test_a_picked_suggestion_is_enrolled(page_client, coordinator, people, booked):
    response = enrol(page_client(coordinator), booked, email="ada", learner_id=people["adam"].pk)

    assert _messages(response)[-1][0] == "success"
    assert Registration.objects.get().learner == people["adam"]


def test_a_name_matching_one_learner_is_enrolled_without_scripts(
    page_client, coordinator, people, booked
):
    response = enrol(page_client(coordinator), booked, email="grace hop")

    assert _messages(response)[-1][0] == "success"
    assert Registration.objects.get().learner == people["grace"]


def test_an_ambiguous_name_lists_the_matches_and_enrols_nobody(
    page_client, coordinator, people, booked
):
    response = enrol(page_client(coordinator), booked, email="Ada")

    level, text = _messages(response)[-1]
    assert level == "error"
    assert "Several learners match “Ada”" in text
    assert "ada@x.org" in text
    assert "adam@x.org" in text
    assert not Registration.objects.exists()


def test_enrolling_someone_without_the_learner_role_is_refused_on_the_page(
    page_client, coordinator, people, auditor, booked
):
    client = page_client(coordinator)

    by_email = enrol(client, booked, email="teach@x.org")
    by_pick = enrol(client, booked, email="x", learner_id=auditor.pk)

    assert _messages(by_email)[-1] == (
        "error",
        "Ada Teacher does not have the learner role and cannot be enrolled.",
    )
    assert _messages(by_pick)[-1][0] == "error"
    assert "does not have the learner role" in _messages(by_pick)[-1][1]
    assert not Registration.objects.exists()


def test_bulk_enrolment_reports_a_non_learner_as_refused(page_client, coordinator, people, booked):
    response = page_client(coordinator).post(
        reverse("attendance:registration-bulk-enrol", args=[booked.pk]),
        {"emails": "teach@x.org ada@x.org"},
    )

    outcome = response.context["outcome"]
    assert outcome.confirmed == ["ada@x.org"]
    assert [email for email, _reason in outcome.refused] == ["teach@x.org"]
    assert [r.learner for r in Registration.objects.all()] == [people["ada"]]


def test_the_api_refuses_to_enrol_a_non_learner(client_for, coordinator, people, booked):
    api = client_for(coordinator)
    url = reverse("api:attendance:registration-enrol", args=[booked.pk])

    refused = api.post(url, {"learner": people["teacher"].pk}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "rule_violation"
    assert body["fields"]["learner"] == [
        "Ada Teacher does not have the learner role and cannot be enrolled."
    ]
    assert not Registration.objects.exists()

    accepted = api.post(url, {"learner": "ada@x.org"}, format="json")
    assert accepted.status_code == 201
