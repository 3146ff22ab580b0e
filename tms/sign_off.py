"""The doors the attendance pages and API sign off and late-edit through (composition root):
compliance's (attendance, then certificates) and the xAPI statements for the LMS
(`programs.outbound.services`) in one transaction. `compliance` and `programs` both build on
`attendance` and not on each other, so they meet here. A sign-off or late edit either records
the outcome, its certificate and the outbox rows of its statements, or none of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from attendance.models import ParticipantReportEntry
from attendance.services.marking import Marked
from attendance.services.participant_import import ImportResult
from attendance.services.sign_off import SignedOff
from compliance.services.marking import (
    entry_resolve_and_certify_in_transaction,
    mark_all_present_and_certify_in_transaction,
    mark_and_certify_in_transaction,
    report_import_and_certify_in_transaction,
)
from compliance.services.sign_off import sign_off_and_certify_in_transaction
from programs.outbound.services import statements_queue_for_session
from scheduling.models import SessionBlock


def sign_off(*, session_id: int, now: dt.datetime | None = None, **options: Any) -> SignedOff:
    """Sign off, certify, and queue each learner's `attended` / `completed` statements."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        result = sign_off_and_certify_in_transaction(session_id=session_id, now=now, **options)
        statements_queue_for_session(session_id=session_id, now=now)
    return result


def mark(*, now: dt.datetime, **options: Any) -> Marked:
    """Mark one learner; after sign-off the late edit's certificate and statements follow."""
    with transaction.atomic(durable=True):
        marked = mark_and_certify_in_transaction(now=now, **options)
        if marked.written:
            statements_queue_for_session(session_id=options["block"].session_id, now=now)
    return marked


def mark_all_present(*, now: dt.datetime, **options: Any) -> list[Marked]:
    """ "All present" for one block, with certificates and statements after sign-off."""
    with transaction.atomic(durable=True):
        marked = mark_all_present_and_certify_in_transaction(now=now, **options)
        if any(m.written for m in marked):
            statements_queue_for_session(session_id=options["block"].session_id, now=now)
    return marked


def report_import(*, block_id: int, now: dt.datetime, **options: Any) -> ImportResult:
    """Import a participant report, with certificates and statements after sign-off."""
    with transaction.atomic(durable=True):
        result = report_import_and_certify_in_transaction(block_id=block_id, now=now, **options)
        if not result.already_imported:
            statements_queue_for_session(session_id=_session_of(block_id), now=now)
    return result


def entry_resolve(*, entry_id: int, now: dt.datetime, **options: Any) -> ParticipantReportEntry:
    """Say who a report's participant is, with certificates and statements after sign-off."""
    with transaction.atomic(durable=True):
        entry = entry_resolve_and_certify_in_transaction(entry_id=entry_id, now=now, **options)
        statements_queue_for_session(session_id=_session_of(entry.report.block_id), now=now)
    return entry


def _session_of(block_id: int) -> int:
    return int(SessionBlock.objects.values_list("session_id", flat=True).get(pk=block_id))
