"""The audit log page and a session's History: auditors and coordinators read them, times in
the reader's zone, named; bad filters are form errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.audit import AuditContext, audit_context
from tests import factories
from venues.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():  # type: ignore[no-untyped-def]
    with audit_context(AuditContext(actor="system:import", request_id="imp-1")):
        site = Site.objects.create(name="Audited", address="", time_zone="Europe/Paris")
        Site.objects.filter(pk=site.pk).update(name="Audited again")
    return site


def test_the_log_page_lists_filtered_entries_in_the_readers_zone(page_client, auditor, changes):
    client = page_client(auditor)
    client.cookies["tz"] = "America/New_York"
    response = client.get(
        reverse("compliance:audit-log"), {"object_type": "venues_site", "actor": "system:import"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "system:import" in text
    assert "Audited again" in text
    assert "America/New_York" in text  # the zone is named
    assert " EST" in text or " EDT" in text


def test_the_log_page_shows_older_entries_page_by_page(page_client, auditor):
    factories.SiteFactory.create_batch(55)
    client = page_client(auditor)
    first = client.get(reverse("compliance:audit-log"), {"object_type": "venues_site"})
    assert first.context["older"] is not None
    assert len(first.context["entries"]) == 50
    older = client.get(
        reverse("compliance:audit-log"),
        {"object_type": "venues_site", "before": first.context["older"]},
    )
    assert 0 < len(older.context["entries"]) <= 50
    assert older.context["entries"][0].pk < first.context["older"]


def test_bad_page_filters_are_form_errors(page_client, auditor):
    response = page_client(auditor).get(
        reverse("compliance:audit-log"), {"date_from": "2030-02-01", "date_to": "2030-01-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]


def test_the_session_page_shows_its_history_to_readers_only(
    page_client, coordinator, learner, published
):
    session = published()
    url = reverse("scheduling:session-detail", args=[session.pk])
    seen = page_client(coordinator).get(url).content.decode()
    assert 'id="history-heading"' in seen
    assert "Created" in seen
    assert 'id="history-heading"' not in page_client(learner).get(url).content.decode()
