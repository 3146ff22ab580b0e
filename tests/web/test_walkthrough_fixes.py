"""Defects found by walking the demo as each role (issue 8), one test each."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse

from scheduling.models import Session
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_closed_session_shows_no_block_move_links(
    schedule: Any, coordinator: Any, page_client: Any, status: str
) -> None:
    """A cancelled or completed session cannot be edited: its page offers no "Move" for its
    blocks (the link led to a 404). The roster's waitlist flag no longer overwrote it."""
    session = schedule(status="scheduled")
    Session.objects.filter(pk=session.pk).update(status=status, cancellation_reason="Trainer ill")
    block = session.blocks.get()
    client = page_client(coordinator)
    html = client.get(reverse("scheduling:session-detail", args=[session.pk])).content.decode()
    move = reverse("scheduling:block-move", args=[session.pk, block.pk])
    assert move not in html
    assert client.get(move).status_code == 404


def test_editable_session_still_offers_block_move(
    schedule: Any, coordinator: Any, page_client: Any
) -> None:
    session = schedule(status="scheduled")
    block = session.blocks.get()
    client = page_client(coordinator)
    html = client.get(reverse("scheduling:session-detail", args=[session.pk])).content.decode()
    move = reverse("scheduling:block-move", args=[session.pk, block.pk])
    assert move in html
    assert client.get(move).status_code == 200


def test_closure_labels_name_the_venue_zone(coordinator: Any, page_client: Any) -> None:
    """The Edit/Delete links of a New York closure from midnight said "closed 2027-01-26
    05:00" (UTC, unnamed) while the row beside them said 00:00 EST."""
    site = factories.SiteFactory(name="Midtown", time_zone="America/New_York")
    room = factories.RoomFactory(site=site, name="Chelsea")
    starts = dt.datetime(2027, 1, 26, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    factories.RoomClosureFactory(room=room, starts_at=starts, reason="Carpet replacement")
    html = page_client(coordinator).get(reverse("manage:closures-list")).content.decode()
    assert "Midtown / Chelsea closed 2027-01-26 00:00 EST: Carpet replacement" in html
    assert "closed 2027-01-26 05:00" not in html
