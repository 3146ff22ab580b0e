"""Real Chromium at 375 px: the auditor requests an attendance export, downloads the file and
then the manifest the page offers once the download has finished; the manifest's SHA-256 is
the file's. axe-core checks the exports pages (no serious or critical violations), none
scrolls sideways; a learner's page offers only their transcript.

Same launch and skip rules as tests/web/test_browser.py (Debian's chromium, no download).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from compliance.models import ExportRecord, ExportStatus
from tests.compliance.world import build_world
from tests.web import test_browser as shared
from tests.web.test_browser import _assert_accessible, _assert_styled_with_htmx, _open, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

browser = shared.browser


def _no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px"


def test_the_auditor_downloads_an_export_and_its_manifest_matches(
    browser: Any, live_server: Any, schedule: Any, auditor: Any, tmp_path: Path
) -> None:
    build_world(schedule)
    base = live_server.url
    context, page, watch = _open(browser, width=375)
    _sign_in(page, base, "auditor")
    page.goto(base + "/exports/")
    _assert_styled_with_htmx(page)
    _no_sideways_scroll(page, "the exports home at 375px")
    _assert_accessible(page, "the exports home at 375px")

    form = page.get_by_role("region", name="Attendance records")
    form.get_by_label("From (UTC date)").fill("2030-03-04")
    form.get_by_role("button", name="Export").click()
    page.get_by_role("heading", name="Attendance records", level=1).wait_for()
    record = ExportRecord.objects.get()
    _no_sideways_scroll(page, "the export page at 375px")
    _assert_accessible(page, "the export page at 375px")

    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download tms-attendance-{record.pk}.csv").click()
    saved = tmp_path / "export.csv"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data.decode("utf-8-sig").count("\n") == 5  # header and four rows

    manifest_link = page.get_by_role("link", name="Download the manifest (.manifest.json)")
    manifest_link.wait_for()  # the progress partial (htmx) shows it once the stream ended
    manifest = json.loads(page.request.get(base + manifest_link.get_attribute("href")).body())
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["row_count"] == 4
    assert manifest["filters"] == {"date_from": "2030-03-04"}
    page.get_by_text(manifest["sha256"]).wait_for()
    _no_sideways_scroll(page, "the finished export at 375px")
    _assert_accessible(page, "the finished export at 375px")
    record.refresh_from_db()
    assert record.status == ExportStatus.READY
    assert watch.problems == []
    context.close()


def test_a_learner_sees_only_their_transcript_export(
    browser: Any, live_server: Any, schedule: Any
) -> None:
    build_world(schedule)
    context, page, watch = _open(browser, width=375)
    _sign_in(page, live_server.url, "ada")
    page.get_by_role("link", name="My transcript").click()
    page.get_by_role("region", name="Training transcripts").wait_for()
    assert page.get_by_role("region", name="Attendance records").count() == 0
    _no_sideways_scroll(page, "the learner's exports at 375px")
    _assert_accessible(page, "the learner's exports at 375px")
    assert watch.problems == []
    context.close()
