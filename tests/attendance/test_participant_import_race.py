"""Concurrent imports for one block, on real connections: the same participant report
uploaded twice at once (a double click, two instructors) comes to one import — one report,
one set of entries and records, the other told "already imported" — and two different
reports at once come to the same marks as importing them one after the other. Never a 500,
never a duplicate row."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from attendance.models import AttendanceRecord, ParticipantReport, ParticipantReportEntry
from attendance.services import participant_import
from attendance.services.participant_import import ImportResult, participant_report_import
from scheduling.models import SessionBlock
from tests.attendance.report_world import report_bytes
from tests.attendance.test_participant_import import LATER, marks

pytestmark = pytest.mark.django_db(transaction=True)


def race(jobs: list[Callable[[], ImportResult]]) -> list[Any]:
    """Run the jobs at once, each on its own connection; their results or errors."""
    start = threading.Barrier(len(jobs), timeout=30)
    outcomes: list[Any] = []

    def worker(job: Callable[[], ImportResult]) -> None:
        try:
            connection.ensure_connection()
            start.wait()
            try:
                outcomes.append(job())
            except Exception as error:  # collected and asserted on below
                outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def importing(block: Any, by: Any, name: str) -> Callable[[], ImportResult]:
    def job() -> ImportResult:
        return participant_report_import(
            block_id=block.pk, file_name=name, data=report_bytes(name), by=by, now=LATER
        )

    return job


def test_the_same_report_imported_four_times_at_once_is_one_import(
    report_block: Any, report_seats: Any, instructor: Any, coordinator: Any
) -> None:
    people = [instructor.user, coordinator, instructor.user, coordinator]
    outcomes = race([importing(report_block, who, "zoom_participants.csv") for who in people])
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert sorted(o.already_imported for o in outcomes) == [False, True, True, True]
    [report] = ParticipantReport.objects.filter(block=report_block)
    assert {o.report.pk for o in outcomes} == {report.pk}
    assert ParticipantReportEntry.objects.count() == 4  # the report's four people, once
    assert AttendanceRecord.objects.filter(block=report_block).count() == len(report_seats)
    assert marks(report_block) == {
        "ada": ("present", 180),
        "ben": ("late", 160),
        "cleo": ("absent", 60),
        "zoe": ("absent", 0),
        "dan": ("absent", 0),
    }


def test_two_different_reports_at_once_mark_as_one_after_the_other(
    report_block: Any, report_seats: Any, instructor: Any, coordinator: Any
) -> None:
    outcomes = race(
        [
            importing(report_block, instructor.user, "zoom_participants.csv"),
            importing(report_block, coordinator, "zoom_second_device.csv"),
        ]
    )
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert [o.already_imported for o in outcomes] == [False, False]
    assert ParticipantReport.objects.filter(block=report_block).count() == 2
    assert AttendanceRecord.objects.filter(block=report_block).count() == len(report_seats)
    # The same as test_a_second_report_merges_its_intervals_with_the_first, in either order.
    assert marks(report_block)["ben"] == ("present", 180)
    assert marks(report_block)["cleo"] == ("left_early", 150)


def test_without_the_block_lock_two_reports_at_once_lose_one_reports_minutes(
    report_block: Any, report_seats: Any, instructor: Any, coordinator: Any, monkeypatch: Any
) -> None:
    """The negative control: the block row lock is what makes the merge hold. Without it
    (and with both imports held until each has written its entries, so they surely overlap),
    each import marks from its own report alone and the last one to write wins."""

    def unlocked(block_id: int) -> Any:
        return SessionBlock.objects.select_related("session__course").get(pk=block_id)

    both_written = threading.Barrier(2, timeout=30)
    apply = participant_import.block_marks_apply_locked

    def apply_when_both_have_written(**kwargs: Any) -> Any:
        both_written.wait()
        return apply(**kwargs)

    monkeypatch.setattr(participant_import, "_lock_block", unlocked)
    monkeypatch.setattr(
        participant_import, "block_marks_apply_locked", apply_when_both_have_written
    )
    outcomes = race(
        [
            importing(report_block, instructor.user, "zoom_participants.csv"),
            importing(report_block, coordinator, "zoom_second_device.csv"),
        ]
    )
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert ParticipantReport.objects.filter(block=report_block).count() == 2
    # Not the merged 180 and 150 minutes of the locked imports: one report's view only.
    assert (marks(report_block)["ben"], marks(report_block)["cleo"]) != (
        ("present", 180),
        ("left_early", 150),
    )
