"""Marking and certification in one transaction: the doors the attendance page and API mark
through (the composition root, tms/web_urls.py and tms/api_urls.py, passes them in).

Before sign-off a mark changes no outcome. After it, a mark is a late edit and attendance
derives the learner's completion again (`attendance.services.marking`); `attendance` cannot
import `compliance`, so these wrappers, one layer up, issue or revoke the certificates that
completion earns in the same transaction: a late edit either changes the record, the outcome
*and* the certificate, or none of them. A participant report imported (or a participant
resolved) after sign-off is a late edit of the block's report-made marks: its wrapper
certifies the session's completions again (none before sign-off; idempotent after). The beat
sweep (`certifications_sync`) still catches paths that do not come through here (the admin).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from attendance.models import Completion, ParticipantReportEntry
from attendance.services.marking import Marked, attendance_mark_all_present, attendance_mark_outcome
from attendance.services.participant_import import (
    ImportResult,
    participant_entry_resolve,
    participant_report_import,
)
from compliance.services.certifications import (
    certifications_issue_for_completion,
    certifications_issue_for_session,
)
from scheduling.models import SessionBlock


def _certify_changes_locked(marked: Iterable[Marked], now: dt.datetime) -> None:
    """Issue or revoke the certificates of the completions the marks changed. Runs inside the
    marking transaction (the registrations' row locks are held)."""
    changed = sorted({m.completion.registration_id for m in marked if m.completion is not None})
    # In registration order, so two bulk late edits lock their learners in one order.
    for completion in Completion.objects.filter(registration_id__in=changed).order_by(
        "registration_id"
    ):
        certifications_issue_for_completion(completion=completion, now=now)


def _certify_session_of_block_locked(block_id: int, now: dt.datetime) -> None:
    """Certify the completions of the session `block_id` belongs to, as they now stand (inside
    the import's or resolution's transaction)."""
    session_id = SessionBlock.objects.values_list("session_id", flat=True).get(pk=block_id)
    certifications_issue_for_session(session_id=session_id, now=now)


def mark_and_certify(*, now: dt.datetime, **mark: Any) -> Marked:
    """Mark one learner in one block (`attendance_mark_outcome`, which takes every keyword
    argument but `now` unchanged) and, when that late edit changed their completion, issue or
    revoke its certificates, atomically. Its result is returned."""
    with transaction.atomic(durable=True):
        return mark_and_certify_in_transaction(now=now, **mark)


def mark_and_certify_in_transaction(*, now: dt.datetime, **mark: Any) -> Marked:
    """`mark_and_certify` inside the caller's transaction (tms/sign_off.py)."""
    marked = attendance_mark_outcome(now=now, **mark)
    _certify_changes_locked([marked], now)
    return marked


def mark_all_present_and_certify(*, now: dt.datetime, **mark: Any) -> list[Marked]:
    """ "All present" for one block (`attendance_mark_all_present`, which takes every keyword
    argument but `now` unchanged) and the certificates of the completions it changed (after
    sign-off), atomically."""
    with transaction.atomic(durable=True):
        return mark_all_present_and_certify_in_transaction(now=now, **mark)


def mark_all_present_and_certify_in_transaction(*, now: dt.datetime, **mark: Any) -> list[Marked]:
    """`mark_all_present_and_certify` inside the caller's transaction (tms/sign_off.py)."""
    marked = attendance_mark_all_present(now=now, **mark)
    _certify_changes_locked(marked, now)
    return marked


def report_import_and_certify(*, block_id: int, now: dt.datetime, **report: Any) -> ImportResult:
    """Import a participant report for `block_id` (`participant_report_import`, which takes
    every other keyword argument unchanged) and certify the session's completions as they now
    stand, atomically. A repeat of an imported file changes nothing and certifies nothing."""
    with transaction.atomic(durable=True):
        return report_import_and_certify_in_transaction(block_id=block_id, now=now, **report)


def report_import_and_certify_in_transaction(
    *, block_id: int, now: dt.datetime, **report: Any
) -> ImportResult:
    """`report_import_and_certify` inside the caller's transaction (tms/sign_off.py)."""
    result = participant_report_import(block_id=block_id, now=now, **report)
    if not result.already_imported:
        _certify_session_of_block_locked(block_id, now)
    return result


def entry_resolve_and_certify(
    *, entry_id: int, now: dt.datetime, **resolution: Any
) -> ParticipantReportEntry:
    """Say who a report's participant is (`participant_entry_resolve`, which takes every other
    keyword argument unchanged) and certify the session's completions as they now stand,
    atomically."""
    with transaction.atomic(durable=True):
        return entry_resolve_and_certify_in_transaction(entry_id=entry_id, now=now, **resolution)


def entry_resolve_and_certify_in_transaction(
    *, entry_id: int, now: dt.datetime, **resolution: Any
) -> ParticipantReportEntry:
    """`entry_resolve_and_certify` inside the caller's transaction (tms/sign_off.py)."""
    entry = participant_entry_resolve(entry_id=entry_id, now=now, **resolution)
    _certify_session_of_block_locked(entry.report.block_id, now)
    return entry
