"""Defects found by walking the demo as each role (issue 8), one test each."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from scheduling.models import Session

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
