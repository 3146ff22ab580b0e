"""GET /api/v1/audit-log/: auditors and coordinators read the log with filters and cursor
pages; others are refused; bad filters are a 400 naming the field."""

from __future__ import annotations

import pytest

from compliance.audit import AuditContext, audit_context
from tests import factories
from venues.models import Site

pytestmark = pytest.mark.django_db

API = "/api/v1/audit-log/"


@pytest.fixture
def changes():  # type: ignore[no-untyped-def]
    with audit_context(AuditContext(actor="system:import", request_id="imp-1")):
        site = Site.objects.create(name="Audited", address="", time_zone="Europe/Paris")
        Site.objects.filter(pk=site.pk).update(name="Audited again")
    return site


@pytest.mark.parametrize("who", ["auditor", "coordinator"])
def test_readers_filter_the_log_by_object_and_action(who, request, client_for, changes):
    api = client_for(request.getfixturevalue(who))
    response = api.get(API, {"object_type": "venues.Site", "object_id": changes.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["action"], r["object_type"], r["actor"]) for r in rows] == [
        ("update", "venues.Site", "system:import"),
        ("insert", "venues.Site", "system:import"),
    ]
    assert rows[0]["before"]["name"] == "Audited"
    assert rows[0]["after"]["name"] == "Audited again"
    only_updates = api.get(API, {"object_type": "venues_site", "action": "update"}).json()
    assert {r["action"] for r in only_updates["results"]} == {"update"}


@pytest.mark.parametrize("who", ["learner", "outsider"])
def test_others_may_not_read_the_log(who, request, client_for, changes):
    response = client_for(request.getfixturevalue(who)).get(API)
    assert response.status_code == 403


def test_instructors_may_not_read_the_log(client_for, instructor):
    assert client_for(instructor.user).get(API).status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"object_type": "no.Such"},
        {"since": "2030-01-01T00:00:00"},
        {"since": "2030-01-01T00:00:00+20:00"},
        {"user": "0"},
        {"action": "explode"},
        {"object_id": "1\x00"},
        {"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
    ],
)
def test_bad_filters_are_a_400_naming_the_field(client_for, auditor, query):
    response = client_for(auditor).get(API, query)
    assert response.status_code == 400
    assert response.json()["fields"]


def test_the_api_pages_with_a_cursor(client_for, auditor):
    factories.SiteFactory.create_batch(60)
    first = client_for(auditor).get(API, {"object_type": "venues.Site"}).json()
    assert len(first["results"]) == 50
    assert first["next"]
    second = client_for(auditor).get(first["next"]).json()
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])
