"""Concurrent commits make one chain (no fork: two entries on one predecessor; no gap), and a
commit never waits for another's sealing: it leaves its entries to the next sealer."""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from compliance.audit import CHAIN_LOCK, audit_head, audit_seal
from compliance.exports import services as exports
from compliance.exports.filters import ExportFilters
from compliance.models import AuditEntry, ExportStatus
from compliance.tasks import seal_audit_log
from compliance.verify import verify_chain
from tms.permissions import Scope
from venues.models import Site

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 25


def _writer(name: str, barrier: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        barrier.wait()
        for i in range(ROUNDS):
            with transaction.atomic():
                Site.objects.create(name=f"{name}-{i}-a", address="", time_zone="UTC")
                Site.objects.create(name=f"{name}-{i}-b", address="", time_zone="UTC")
    except BaseException as error:
        errors.append(error)
    finally:
        connection.close()


def test_concurrent_commits_make_one_valid_chain():
    start_seq, _ = audit_head()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_writer, args=(n, barrier, errors)) for n in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    audit_seal()  # whatever a busy commit left
    new = list(AuditEntry.objects.filter(seq__gt=start_seq).order_by("seq"))
    assert len(new) == 2 * 2 * ROUNDS
    assert [e.seq for e in new] == list(range(start_seq + 1, start_seq + 1 + len(new)))
    assert len({e.prev_hash for e in new}) == len(new)  # no two entries share a predecessor
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    result = verify_chain()
    assert result.ok, result.problem


def test_a_commit_finding_the_chain_busy_does_not_wait_and_the_sweep_seals_it():
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])  # a sealer at work
        site = Site.objects.create(name="While busy", address="", time_zone="UTC")  # commits
        entry = AuditEntry.objects.get(table_name="venues_site", object_pk=str(site.pk))
        assert entry.seq is None  # left for the next sealer, not waited for
        other.rollback()
    finally:
        other.close()
    assert seal_audit_log.apply().get() >= 1
    entry.refresh_from_db()
    assert entry.seq is not None
    assert verify_chain().ok


def test_a_streamed_export_seals_what_waits_and_names_it_in_its_head(auditor):
    """The export's snapshot is read-only: the entries left unsealed by busy commits (here:
    a change, the export's request and its claim) are sealed before it, not inside it where
    an UPDATE is refused, so the download works and its manifest's head covers them."""
    now = timezone.now()
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])  # a sealer at work
        site = Site.objects.create(name="Waiting", address="", time_zone="UTC")
        record = exports.export_request(
            user=auditor,
            scope=Scope.ALL,
            dataset="attendance",
            file_format="csv",
            filters=ExportFilters(),
            now=now,
        )
        claimed = exports.export_claim_stream(record_id=record.pk, now=now)
        entry = AuditEntry.objects.get(table_name="venues_site", object_pk=str(site.pk))
        assert entry.seq is None
        other.rollback()
    finally:
        other.close()
    data = b"".join(exports.export_stream(claimed, now=now))
    record.refresh_from_db()
    assert record.status == ExportStatus.READY
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    entry.refresh_from_db()
    assert entry.seq is not None
    assert record.audit_head_seq is not None
    assert record.audit_head_seq >= entry.seq
